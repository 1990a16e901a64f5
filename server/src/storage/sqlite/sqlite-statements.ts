import type Database from 'better-sqlite3';
import type { OpRecord, SnapshotRecord } from '../sharedb-records.js';

/** A `snapshots` row; `data` and `m` are JSON text, `m` is NULL when not selected. */
export interface SnapshotRow {
  id: string;
  type: string | null;
  v: number;
  data: string | null;
  m: string | null;
}

/** The bound values of one commit; JSON is serialised before the write lock is taken. */
export interface CommitRow {
  collection: string;
  id: string;
  /** Version the op applies to; the stored version must equal it. */
  v: number;
  src: string | null;
  seq: number | null;
  op: string;
  type: string | null;
  /** Version after the op. */
  nextV: number;
  /** `value` as JSON (null for undefined); undefined until `snapshotJson` serializes it. */
  data: string | null | undefined;
  /** The snapshot's data; not modified after the commit once `data` is left undefined (see `sharesData`). */
  readonly value: unknown;
  /** `meta` as JSON (null for null or undefined); undefined until `snapshotJson` serializes it. */
  m: string | null | undefined;
  /** The snapshot's metadata; never modified after the commit (each later submit works on a copy). */
  readonly meta: unknown;
}

/**
 * The row's snapshot data as JSON (and its metadata), serialized on first use: only the commit whose snapshot row is
 * written needs them.
 */
export function snapshotJson(row: CommitRow): string | null {
  if (row.data === undefined) row.data = row.value === undefined ? null : JSON.stringify(row.value);
  if (row.m === undefined) row.m = row.meta == null ? null : JSON.stringify(row.meta);
  return row.data;
}

/**
 * The prepared statements of `SqliteDb`, prepared once per handle. Collection names and ids are
 * always bound parameters, never SQL text.
 */
export class SqliteStatements {
  readonly version: Database.Statement<[string, string], number>;
  readonly snapshot: Database.Statement<[string, string], SnapshotRow>;
  readonly snapshotWithMeta: Database.Statement<[string, string], SnapshotRow>;
  readonly listSnapshots: Database.Statement<[string], SnapshotRow>;
  readonly listIds: Database.Statement<[string], string>;
  readonly opsRange: Database.Statement<[string, string, number, number], string>;
  readonly committedOpVersion: Database.Statement<[string, string, string | null, number | null, number], number>;
  readonly deleteOps: Database.Statement<[string, string, number, number]>;
  readonly dataVersion: Database.Statement<[], number>;
  /**
   * Compare-and-set of the op alone, to be run inside a transaction: appends the op when the document is at `row.v`
   * and returns false, writing nothing, when it is not. `current` is the document's version as this transaction
   * already left it (when an earlier op of the transaction advanced it); otherwise the stored one is read. The
   * snapshot row is left to `writeSnapshot`, so that a transaction holding several ops of a document writes it once.
   */
  readonly appendOp: (row: CommitRow, current: number | undefined) => boolean;
  /** Writes the document's snapshot row as the commit `row` leaves it (serializing its data now if it is not yet). */
  readonly writeSnapshot: (row: CommitRow) => void;
  /** One commit, op and snapshot, in its own `BEGIN IMMEDIATE` transaction (call `.immediate(row)`). */
  readonly commit: Database.Transaction<(row: CommitRow) => boolean>;

  constructor(db: Database.Database) {
    this.version = db
      .prepare<[string, string], number>('SELECT v FROM snapshots WHERE collection = ? AND id = ?')
      .pluck();
    this.snapshot = db.prepare(
      'SELECT id, type, v, data, NULL AS m FROM snapshots WHERE collection = ? AND id = ?',
    );
    this.snapshotWithMeta = db.prepare('SELECT id, type, v, data, m FROM snapshots WHERE collection = ? AND id = ?');
    // rowid order: creation order, like the reference in-memory adapter's iteration order.
    this.listSnapshots = db.prepare('SELECT id, type, v, data, m FROM snapshots WHERE collection = ? ORDER BY rowid');
    this.listIds = db
      .prepare<[string], string>('SELECT id FROM snapshots WHERE collection = ? ORDER BY rowid')
      .pluck();
    this.opsRange = db
      .prepare<[string, string, number, number], string>(
        'SELECT op FROM ops WHERE collection = ? AND id = ? AND v >= ? AND v < ? ORDER BY v',
      )
      .pluck();
    // `IS` rather than `=`: an op without src/seq matches others without, as in ShareDB's base DB.
    this.committedOpVersion = db
      .prepare<[string, string, string | null, number | null, number], number>(
        'SELECT v FROM ops WHERE collection = ? AND id = ? AND src IS ? AND seq IS ? AND v < ? ORDER BY v DESC LIMIT 1',
      )
      .pluck();
    this.deleteOps = db.prepare('DELETE FROM ops WHERE collection = ? AND id = ? AND v >= ? AND v < ?');

    const insertOp = db.prepare<CommitRow>(
      'INSERT INTO ops (collection, id, v, src, seq, op) VALUES (@collection, @id, @v, @src, @seq, @op)',
    );
    const upsertSnapshot = db.prepare<CommitRow>(
      `INSERT INTO snapshots (collection, id, type, v, data, m) VALUES (@collection, @id, @type, @nextV, @data, @m)
       ON CONFLICT (collection, id) DO UPDATE SET type = excluded.type, v = excluded.v, data = excluded.data, m = excluded.m`,
    );
    // Changes when another connection (another process) commits to the file; cheap (read from shared memory).
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    const version = this.version;
    this.appendOp = (row, current) => {
      if ((current ?? version.get(row.collection, row.id) ?? 0) !== row.v) return false;
      insertOp.run(row);
      return true;
    };
    this.writeSnapshot = (row) => {
      snapshotJson(row);
      upsertSnapshot.run(row);
    };
    this.commit = db.transaction((row: CommitRow) => {
      if (!this.appendOp(row, undefined)) return false;
      this.writeSnapshot(row);
      return true;
    });
  }

  /** A document's snapshot as ShareDB wants it; version 0 and no type for one never created. */
  readSnapshot(collection: string, id: string, includeMetadata: boolean): SnapshotRecord {
    const row = includeMetadata ? this.snapshotWithMeta.get(collection, id) : this.snapshot.get(collection, id);
    return row ? toSnapshot(row, includeMetadata) : { id, v: 0, type: null, data: undefined, m: null };
  }

  /** The ops at versions `from` .. `to` - 1 (null: from 0, to the current version); "Missing ops" if any is gone. */
  readOps(collection: string, id: string, from: number | null, to: number | null, includeMetadata: boolean): OpRecord[] {
    const start = from ?? 0;
    const end = to ?? this.version.get(collection, id) ?? 0;
    const ops = this.opsRange.all(collection, id, start, end).map((json) => JSON.parse(json) as OpRecord);
    if (ops.length < end - start) throw new Error('Missing ops');
    if (!includeMetadata) for (const op of ops) delete op.m;
    return ops;
  }
}

export function toSnapshot(row: SnapshotRow, includeMetadata: boolean): SnapshotRecord {
  return {
    id: row.id,
    v: row.v,
    type: row.type,
    data: row.data === null ? undefined : (JSON.parse(row.data) as unknown),
    m: includeMetadata && row.m != null ? (JSON.parse(row.m) as SnapshotRecord['m']) : null,
  };
}
