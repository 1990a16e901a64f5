import type Database from 'better-sqlite3';
import type { HistoryStore } from '../history-store.js';

/**
 * Op-log maintenance on the SQLite store's `ops` and `milestones` tables (no schema change: the primary keys
 * `(collection, id, v)` serve every statement). Synchronous underneath, like the adapter; each call is atomic.
 */
export class SqliteHistoryStore implements HistoryStore {
  private readonly ids: Database.Statement<[string], string>;
  private readonly oldest: Database.Statement<[string, string], number | null>;
  private readonly opTimes: Database.Statement<[string, string], { v: number; ts: number | null }>;
  private readonly deleteOps: Database.Statement<[string, string, number]>;
  private readonly milestones: Database.Statement<[string, string], number>;
  private readonly deleteMilestones: Database.Statement<[string, string, number]>;
  private readonly scrubOp: Database.Statement<[string, string, number]>;
  private readonly purgeAll: Database.Transaction<(collection: string, id: string, tombstone: number) => void>;

  /** `changed(collection, id)` runs after ops of a document were deleted (the adapter's cache forgets it). */
  constructor(
    private readonly database: Database.Database,
    private readonly changed: (collection: string, id: string) => void = () => {},
  ) {
    this.ids = database.prepare<[string], string>('SELECT id FROM snapshots WHERE collection = ? ORDER BY rowid').pluck();
    this.oldest = database
      .prepare<[string, string], number | null>('SELECT min(v) FROM ops WHERE collection = ? AND id = ?')
      .pluck();
    this.opTimes = database.prepare(
      "SELECT v, json_extract(op, '$.m.ts') AS ts FROM ops WHERE collection = ? AND id = ? ORDER BY v",
    );
    this.deleteOps = database.prepare('DELETE FROM ops WHERE collection = ? AND id = ? AND v < ?');
    this.milestones = database
      .prepare<[string, string], number>('SELECT v FROM milestones WHERE collection = ? AND id = ? ORDER BY v')
      .pluck();
    this.deleteMilestones = database.prepare('DELETE FROM milestones WHERE collection = ? AND id = ? AND v <= ?');
    // ShareDB keeps a deleted document's data in its delete op (`m.data`); the tombstone keeps none.
    this.scrubOp = database.prepare(
      "UPDATE ops SET op = json_remove(op, '$.m.data') WHERE collection = ? AND id = ? AND v = ?",
    );
    this.purgeAll = database.transaction((collection: string, id: string, tombstone: number) => {
      this.deleteOps.run(collection, id, tombstone);
      this.scrubOp.run(collection, id, tombstone);
      this.deleteMilestones.run(collection, id, tombstone);
    });
  }

  async listIds(collection: string): Promise<string[]> {
    return this.ids.all(collection);
  }

  async oldestOpVersion(collection: string, id: string): Promise<number | undefined> {
    return this.oldest.get(collection, id) ?? undefined;
  }

  async firstOpVersionSince(collection: string, id: string, ts: number): Promise<number | undefined> {
    for (const row of this.opTimes.iterate(collection, id)) {
      // An op without a timestamp counts as recent: it is never pruned by age.
      if (row.ts === null || row.ts >= ts) return row.v;
    }
    return undefined;
  }

  async pruneOps(collection: string, id: string, before: number): Promise<number> {
    const { changes } = this.deleteOps.run(collection, id, before);
    this.changed(collection, id);
    return changes;
  }

  async milestoneVersions(collection: string, id: string): Promise<number[]> {
    return this.milestones.all(collection, id);
  }

  async purge(collection: string, id: string, tombstone: number): Promise<void> {
    this.purgeAll.immediate(collection, id, tombstone);
    this.changed(collection, id);
  }
}
