/**
 * Recovery of one document's refused edits: keeps them while the server's current document is read, then merges
 * (text) or hands them to `onConflict` (JSON) and subscribes again (see pruned-recovery.ts for the whole story).
 */
import type { Connection, Doc } from 'sharedb/lib/client/index.js';
import { shortTypeName } from '@concord/shared';
import { Delta, type DeltaOp } from '../undo/delta.js';
import { asError } from '../connection/errors.js';
import type { TextOp } from 'ot-text-unicode';
import { callEach, deserialize, internals, queuedOps, type Callback, type OTTypeLike, type QueuedOp } from './doc-internals.js';
import { ServerShadow, type OpMessage } from './server-shadow.js';
import { composeTextOps, mergeRichText, mergeText, type ThreeWayMerge } from './three-way-merge.js';
import { isPruned, prunedError, type ErrorData } from './pruned-error.js';
import { RECOVERY_SOURCE, type PrunedConflict, type PrunedMerge, type RecoveryOptions } from './recovery-types.js';
import type { ConnectionHook } from './connection-hook.js';
import { splitDelta, splitTextOp } from './split-op.js';
import { opBudget } from '../bindings/submit-edit.js';

interface Snapshot {
  v: number;
  type: string | null;
  data?: unknown;
}

/** Everything the doc held when its edits were refused. */
interface Refused {
  type: OTTypeLike;
  baseVersion: number;
  base: unknown;
  local: unknown;
  queued: QueuedOp[];
  edits: unknown[];
  callbacks: Callback[];
  /** A create or delete among the edits: never merged. */
  structural: boolean;
}

export class DocRecovery {
  readonly registrations = new Set<RecoveryOptions<never>>();
  private readonly shadow: ServerShadow;
  private readonly detach: () => void;
  private recovering = false;
  private verifying = false;
  private resubscribe = false;
  private error: ErrorData | undefined;
  /** `src:seq` of ops recovery took out of the doc: late replies to them are dropped. */
  private readonly discarded = new Set<string>();
  private settleWaiters: Array<() => void> = [];

  constructor(readonly doc: Doc, private readonly hook: ConnectionHook) {
    this.shadow = new ServerShadow(doc);
    const sync = (): void => this.shadow.sync();
    const resync = (): void => this.shadow.sync(true);
    const invalidate = (): void => this.shadow.invalidate();
    const destroy = (): void => this.dispose();
    const listeners = [['load', resync], ['create', resync], ['no write pending', sync], ['op batch', sync],
      ['del', invalidate], ['destroy', destroy]] as const;
    for (const [event, fn] of listeners) doc.on(event, fn);
    this.detach = () => {
      for (const [event, fn] of listeners) doc.off(event, fn);
    };
    this.shadow.sync(true);
  }

  dispose(): void {
    this.registrations.clear();
    this.detach();
    this.hook.remove(this);
    this.resolveSettled(true);
  }

  // ----- messages, seen by the connection hook before ShareDB handles them -----

  /** An op message of this doc; true when ShareDB must not see it. */
  onOp(message: OpMessage): boolean {
    const key = `${message.src}:${message.seq}`;
    if (this.discarded.has(key)) return true;
    if (!isPruned(message.error)) {
      this.shadow.observe(message);
      return false;
    }
    const { inflightOp } = internals(this.doc);
    if (!inflightOp || inflightOp.seq !== message.seq) return false;
    // Keep the op in flight as far as ShareDB knows: it would roll it back (or discard everything pending).
    this.start(message.error);
    return true;
  }

  /** A subscribe or fetch reply of this doc refused with ERR_HISTORY_PRUNED; `certain` unless a bulk reply. */
  readRefused(action: string, error: ErrorData, certain: boolean): void {
    this.resubscribe ||= internals(this.doc).wantSubscribe || action === 's' || action === 'bs';
    if (this.recovering) return;
    if (certain) this.start(error);
    else void this.verify();
  }

  /** After every read reply and connection state change: wakes whoever waits for the subscribe in flight. */
  readsMaybeSettled(): void {
    queueMicrotask(() => this.resolveSettled(false));
  }

  // ----- recovery -----

  private start(error: ErrorData): void {
    if (this.recovering) return;
    this.recovering = true;
    this.error = error;
    this.recover().catch((err: unknown) => this.fail(err)).finally(() => {
      this.recovering = false;
    });
  }

  /**
   * A bulk resubscribe fails as a whole when one of its documents is too far behind, so this one may be fine:
   * ask again for it alone. If it is too far behind, that reply starts recovery.
   */
  private async verify(): Promise<void> {
    if (this.verifying) return;
    this.verifying = true;
    try {
      await this.settled();
      if (this.recovering || !this.registrations.size) return;
      await this.read();
    } catch (err) {
      this.fail(err);
    } finally {
      this.verifying = false;
    }
  }

  private async recover(): Promise<void> {
    const current = await this.fetchCurrent();
    await this.settled(); // a subscribe still in flight would swallow ours
    if (!this.registrations.size) return;
    this.finish(current);
    await this.read();
  }

  /** Subscribes again if the doc was subscribed (or reads it once): from the current version now. */
  private async read(): Promise<void> {
    const subscribe = this.resubscribe;
    this.resubscribe = false;
    if (!subscribe) return;
    await new Promise<void>((resolve, reject) => this.doc.subscribe((err) => (err ? reject(err) : resolve())));
  }

  private fetchCurrent(): Promise<Snapshot> {
    const { doc } = this;
    return new Promise((resolve, reject) => (doc.connection as Connection).fetchSnapshot(doc.collection, doc.id, null,
      (err, snapshot) => (err ? reject(err) : resolve(snapshot as unknown as Snapshot))));
  }

  private settled(): Promise<void> {
    if (!internals(this.doc).inflightSubscribe) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  private resolveSettled(always: boolean): void {
    if (!always && internals(this.doc).inflightSubscribe) return;
    for (const resolve of this.settleWaiters.splice(0)) resolve();
  }

  /** Synchronously: takes the refused edits out of the doc and puts the current document (merged or not) in. */
  private finish(current: Snapshot): void {
    const refused = this.takeRefused();
    const error = prunedError(this.error);
    if (!refused) {
      // The doc lost its type meanwhile (deleted, or rolled back by ShareDB): just load the current document.
      this.load(current);
      return;
    }
    const merge = this.tryMerge(refused, current);
    if (merge) return this.applyMerge(refused, current, merge, error);
    this.load(current);
    if (refused.queued.length === 0) return; // nothing was pending: the doc is simply up to date again
    callEach(refused.callbacks, error);
    const conflict: PrunedConflict = {
      collection: this.doc.collection,
      id: this.doc.id,
      type: shortTypeName(refused.type.uri) ?? refused.type.uri,
      base: refused.base,
      baseVersion: refused.baseVersion,
      local: refused.local,
      current: internals(this.doc).type ? this.doc.data : undefined,
      currentVersion: current.v,
      pendingOps: refused.edits,
      error,
    };
    const handlers = [...this.registrations].filter((r) => r.onConflict);
    if (handlers.length === 0) return void this.doc.emit('error', Object.assign(error, { conflict }) as never);
    for (const r of handlers) this.call(() => r.onConflict!(conflict as PrunedConflict<never>));
  }

  private takeRefused(): Refused | undefined {
    const doc = internals(this.doc);
    const queued = queuedOps(this.doc);
    for (const op of queued) if (op.src != null && op.seq != null) this.discarded.add(`${op.src}:${op.seq}`);
    doc.inflightOp = null;
    doc.pendingOps = [];
    if (!doc.type || doc.version == null) {
      callEach(queued.flatMap((op) => op.callbacks ?? []), prunedError(this.error));
      return undefined;
    }
    const edits = queued.filter((op) => op.op !== undefined).map((op) => op.op);
    return {
      type: doc.type,
      baseVersion: doc.version,
      base: queued.length === 0 ? doc.data : this.shadow.stateAt(doc.version),
      local: doc.data,
      queued,
      edits,
      callbacks: queued.flatMap((op) => op.callbacks ?? []).filter((cb): cb is Callback => typeof cb === 'function'),
      structural: queued.some((op) => op.create !== undefined || op.del !== undefined),
    };
  }

  private tryMerge(refused: Refused, current: Snapshot): ThreeWayMerge<unknown, unknown> | undefined {
    const { type, base, local, edits } = refused;
    if (base === undefined || refused.structural || current.type == null) return undefined;
    if (current.type !== type.uri && current.type !== type.name) return undefined;
    const now = deserialize(type, current.data);
    try {
      if (type.name === 'text-unicode') {
        return mergeText(base as string, local as string, now as string, composeTextOps(edits as TextOp[]));
      }
      if (type.name === 'rich-text') {
        const mine = edits.reduce<Delta>((all, op) => all.compose(new Delta(toOps(op))), new Delta());
        return mergeRichText(toOps(base), toOps(local), toOps(now), mine);
      }
    } catch {
      // The tracked base and the edits disagree: hand them over as a conflict rather than guess.
    }
    return undefined;
  }

  private applyMerge(refused: Refused, current: Snapshot, merge: ThreeWayMerge<unknown, unknown>, error: Error): void {
    const doc = internals(this.doc);
    const { type } = refused;
    const rich = type.name === 'rich-text';
    const wire = (op: unknown): unknown => (rich ? (op as Delta).ops : op);
    const now = deserialize(type, current.data);
    doc.version = current.v;
    this.shadow.reset(current.v, now);
    if (!isNoop(merge.currentOnLocal)) doc._otApply({ op: wire(merge.currentOnLocal) }, false);
    if (!sameData(doc.data, merge.merged)) {
      doc.data = merge.merged; // not expected: the op applied to local gives the merge; the merge is what counts
      this.doc.emit('load');
    }
    if (isNoop(merge.localOnCurrent)) callEach(refused.callbacks, null);
    else {
      // Over the server's message limit the merged op would be refused, and with it every offline edit: it goes as
      // several ops, the original callbacks with the last.
      const pieces = rich ? splitDelta(toOps(merge.localOnCurrent), opBudget(this.doc))
        : splitTextOp(merge.localOnCurrent as TextOp, opBudget(this.doc));
      pieces.forEach((op, i) => doc.pendingOps.push({
        op, type, source: RECOVERY_SOURCE, callbacks: i === pieces.length - 1 ? refused.callbacks : [],
      }));
    }
    const event: PrunedMerge = {
      collection: this.doc.collection,
      id: this.doc.id,
      type: shortTypeName(type.uri) ?? type.uri,
      base: refused.base,
      baseVersion: refused.baseVersion,
      local: refused.local,
      current: now,
      currentVersion: current.v,
      merged: this.doc.data,
      op: wire(merge.localOnCurrent),
      error,
    };
    if (refused.queued.length > 0) {
      for (const r of this.registrations) if (r.onMerge) this.call(() => r.onMerge!(event as PrunedMerge<never>));
    }
    if (doc.pendingOps.length) this.doc.flush();
    else doc._emitNothingPending?.();
  }

  /** Resets the doc to `current` as ShareDB does after a hard rollback ('load'). */
  private load(current: Snapshot): void {
    const doc = internals(this.doc);
    doc.inflightOp = null;
    doc.pendingOps = [];
    doc.type = null;
    doc.data = undefined;
    doc.version = null;
    this.doc.ingestSnapshot({ v: current.v, type: current.type as string, data: current.data });
  }

  private fail(err: unknown): void {
    const error = asError(err);
    const handlers = [...this.registrations].filter((r) => r.onError);
    if (handlers.length === 0) return void this.doc.emit('error', error as never);
    for (const r of handlers) this.call(() => r.onError!(error));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      setTimeout(() => {
        throw err;
      }, 0);
    }
  }
}

function toOps(value: unknown): DeltaOp[] {
  if (Array.isArray(value)) return value as DeltaOp[];
  const ops = (value as { ops?: unknown } | null)?.ops;
  return Array.isArray(ops) ? (ops as DeltaOp[]) : [];
}

/** An empty text-unicode op or Delta. */
function isNoop(op: unknown): boolean {
  return toOps(op).length === 0;
}

function sameData(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return JSON.stringify(toOps(a)) === JSON.stringify(toOps(b));
}
