/**
 * Catching up after a pub/sub outage. Redis pub/sub delivers at most once: ops committed by other instances while
 * this one's subscriber was disconnected never reach it, and its clients would sit on stale documents, including
 * documents that receive no further op. This remembers, per document channel, the latest version this instance has
 * seen (read for a client, or delivered by the pub/sub); after a reconnect, `replay()` reads every subscribed
 * document's ops since then from storage and delivers them through the same path as live ops.
 */
import type ShareDB from 'sharedb';
import { ConcordError } from '@concord/shared';
import type { SubmittedOp } from './middleware.js';
import { PRESENCE_PREFIX, tapPubSub } from './pubsub-tap.js';

interface Seen {
  collection: string;
  id: string;
  /** The next version this instance expects for the document. */
  next: number;
}

interface PubSubInternals {
  streams: Record<string, unknown>;
  _emit(channel: string, data: unknown): void;
}

interface DbGetOps {
  getOps(c: string, id: string, from: number, to: number | null, options: object, cb: (err: unknown, ops?: SubmittedOp[]) => void): void;
}

export class GapRecovery {
  private readonly seen = new Map<string, Seen>();
  private readonly pubsub: PubSubInternals;
  private readonly db: DbGetOps;
  private replaying: Promise<number> | undefined;
  private added = 0;

  constructor(backend: ShareDB) {
    this.pubsub = backend.pubsub as unknown as PubSubInternals;
    this.db = backend.db as unknown as DbGetOps;
    tapPubSub(this.pubsub, (channel, data) => {
      // A doc presence message names a collection, an id and a version too (the version its sender's copy is at, not
      // an op this instance delivered): counted as one, a cursor moved after the pub/sub came back would let the
      // replay skip every op missed before that version.
      if (channel.startsWith(PRESENCE_PREFIX)) return;
      const op = data as Partial<SubmittedOp> & { c?: string; d?: string };
      if (typeof op.c === 'string' && typeof op.d === 'string' && typeof op.v === 'number') this.record(op.c, op.d, op.v + 1, true);
    });
  }

  /**
   * Records a snapshot read at `version` for a client. It starts tracking the document, but never moves an existing
   * entry forward: one client reading (e.g. fetching after it noticed a gap) says nothing about the other
   * subscribers here, which only get what the pub/sub delivers.
   */
  note(collection: string, id: string, version: number): void {
    this.record(collection, id, version, false);
  }

  private record(collection: string, id: string, version: number, delivered: boolean): void {
    const channel = `${collection}.${id}`;
    const entry = this.seen.get(channel);
    if (entry) {
      if (delivered && version > entry.next) entry.next = version;
      return;
    }
    // ShareDB subscribes to the channel before it reads the snapshot, so a plain fetch has no stream: skip it.
    if (!this.pubsub.streams[channel]) return;
    this.seen.set(channel, { collection, id, next: version });
    if (++this.added % 1000 === 0) this.forgetUnsubscribed();
  }

  private forgetUnsubscribed(): void {
    for (const channel of this.seen.keys()) if (!this.pubsub.streams[channel]) this.seen.delete(channel);
  }

  /** Delivers every op committed since the last one seen, for each document someone here subscribes to. */
  replay(): Promise<number> {
    this.replaying ??= this.replayAll().finally(() => (this.replaying = undefined));
    return this.replaying;
  }

  /**
   * One document's failure does not stop the others: a read that fails is reported (the first such error rejects
   * the replay) once every other document has been caught up.
   */
  private async replayAll(): Promise<number> {
    let delivered = 0;
    let failure: unknown;
    this.forgetUnsubscribed();
    for (const [channel, entry] of this.seen) {
      let ops: SubmittedOp[];
      try {
        ops = await this.opsSince(entry);
      } catch (err) {
        failure ??= err;
        continue;
      }
      for (const op of ops) {
        if (op.v < entry.next) continue;
        const message = { ...op, c: entry.collection, d: entry.id };
        this.pubsub._emit(channel, message);
        if (this.pubsub.streams[entry.collection]) this.pubsub._emit(entry.collection, message);
        delivered++;
      }
    }
    if (failure !== undefined) throw failure;
    return delivered;
  }

  /**
   * The document's ops from the next version expected on. Retention or a purge may have removed the first of them
   * meanwhile: then the ops still stored, which a client finds ahead of its version and fetches the document for.
   */
  private async opsSince(entry: Seen): Promise<SubmittedOp[]> {
    try {
      return await this.getOps(entry.collection, entry.id, entry.next);
    } catch (err) {
      const oldest = err instanceof ConcordError && err.code === 'ERR_HISTORY_PRUNED' ? err.details?.['oldest'] : undefined;
      if (typeof oldest !== 'number' || oldest <= entry.next) throw err;
      return this.getOps(entry.collection, entry.id, oldest);
    }
  }

  private getOps(collection: string, id: string, from: number): Promise<SubmittedOp[]> {
    return new Promise((resolve, reject) =>
      this.db.getOps(collection, id, from, null, { metadata: true }, (err, ops) => (err ? reject(err) : resolve(ops ?? []))));
  }
}
