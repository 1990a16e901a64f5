import type ShareDB from 'sharedb';
import type { HistoryStore } from './history-store.js';

/** ShareDB's MemoryDB internals: op logs are arrays indexed by version (deleted ops become null). */
interface MemoryDbInternals {
  ops: Record<string, Record<string, Array<{ v: number; m?: { ts?: number } } | null | undefined>>>;
}
/** MemoryMilestoneDB internals: per document, snapshots sorted by version. */
interface MemoryMilestoneInternals {
  _milestoneSnapshots: Record<string, Record<string, Array<{ v: number }>>>;
}

/** Op-log maintenance on ShareDB's MemoryDB and MemoryMilestoneDB, through their (stable, plain-object) internals. */
export class MemoryHistoryStore implements HistoryStore {
  private readonly db: MemoryDbInternals;
  private readonly milestoneDb: MemoryMilestoneInternals;

  constructor(db: ShareDB.DB, milestoneDb: ShareDB.MilestoneDB) {
    this.db = db as unknown as MemoryDbInternals;
    this.milestoneDb = milestoneDb as unknown as MemoryMilestoneInternals;
  }

  async listIds(collection: string): Promise<string[]> {
    // The op log outlives deletion here (MemoryDB keeps no snapshot for a deleted document).
    return Object.keys(this.db.ops[collection] ?? {});
  }

  async oldestOpVersion(collection: string, id: string): Promise<number | undefined> {
    const log = this.log(collection, id);
    for (let v = 0; v < log.length; v++) if (log[v]) return v;
    return undefined;
  }

  async firstOpVersionSince(collection: string, id: string, ts: number): Promise<number | undefined> {
    const log = this.log(collection, id);
    for (let v = 0; v < log.length; v++) {
      const op = log[v];
      if (op && (typeof op.m?.ts !== 'number' || op.m.ts >= ts)) return v;
    }
    return undefined;
  }

  async pruneOps(collection: string, id: string, before: number): Promise<number> {
    const log = this.log(collection, id);
    let deleted = 0;
    // null, not a shorter array: the array's length is the version of a deleted document.
    for (let v = 0; v < Math.min(before, log.length); v++) {
      if (log[v]) {
        log[v] = null;
        deleted++;
      }
    }
    return deleted;
  }

  async milestoneVersions(collection: string, id: string): Promise<number[]> {
    return (this.milestoneDb._milestoneSnapshots[collection]?.[id] ?? []).map((snapshot) => snapshot.v);
  }

  async purge(collection: string, id: string, tombstone: number): Promise<void> {
    await this.pruneOps(collection, id, tombstone);
    // ShareDB keeps a deleted document's data in its delete op (`m.data`); the tombstone keeps none.
    const del = this.log(collection, id)[tombstone] as { m?: Record<string, unknown> } | null | undefined;
    if (del?.m) delete del.m['data'];
    const byId = this.milestoneDb._milestoneSnapshots[collection];
    const list = byId?.[id];
    if (byId && list) byId[id] = list.filter((snapshot) => snapshot.v > tombstone);
  }

  private log(collection: string, id: string): Array<{ v: number; m?: { ts?: number } } | null | undefined> {
    return this.db.ops[collection]?.[id] ?? [];
  }
}
