import type Database from 'better-sqlite3';
import ShareDB from 'sharedb';
import type { CommitRow } from './sqlite-statements.js';
import { MingoQueryEngine, type QueryResult } from '../mingo-query-engine.js';
import type {
  CommitCallback,
  ErrorCallback,
  MongoQuery,
  OpRecord,
  OpsCallback,
  OpsMapCallback,
  PollDocCallback,
  ReadOptions,
  SnapshotFields,
  SnapshotMapCallback,
  SnapshotRecord,
  SnapshotCallback,
  SnapshotToCommit,
  VersionCallback,
} from '../sharedb-records.js';
import { openDatabase, type Durability } from './open-database.js';
import { SqliteStatements, type SnapshotRow } from './sqlite-statements.js';

export type SqliteDbOptions = (
  | {
      /** Opens this file; `close()` closes it. */
      readonly filename: string;
      /** Default `process`; see `Durability`. */
      readonly durability?: Durability;
      /** Default 5000 ms. */
      readonly busyTimeoutMs?: number;
    }
  | {
      /** A handle from `openDatabase()`, shared with a `SqliteMilestoneDb`; its owner closes it. */
      readonly database: Database.Database;
    }
) & {
  /** Minimum ms between two polls of one subscribed query (ShareDB's `pollDebounce`). */
  readonly pollDebounce?: number;
};

type Answer<T> = (error?: Error, value?: T) => void;

/**
 * ShareDB's DB adapter on SQLite (better-sqlite3).
 *
 * Every commit runs in one `BEGIN IMMEDIATE` transaction that compares the stored version with the
 * op's and then writes the op and the new snapshot, so exactly one of several concurrent commits to
 * a version wins, also between processes sharing the file (they queue on SQLite's write lock for up
 * to the busy timeout); the losers answer `false` and ShareDB transforms and retries them.
 *
 * better-sqlite3 is synchronous: the work happens in the call, the callback always runs on a later
 * tick, and every SQLite error (SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY...) reaches the callback.
 *
 * Limit: queries read and match every snapshot of the collection in this process (no SQL
 * translation of Mongo queries); fine for thousands of documents per collection, not millions.
 */
export class SqliteDb extends ShareDB.DB {
  readonly database: Database.Database;
  readonly pollDebounce: number | undefined;
  private readonly ownsDatabase: boolean;
  private readonly statements: SqliteStatements;
  private readonly engine: MingoQueryEngine;
  private closed = false;
  private readonly pendingCommits: Array<{ row: CommitRow; callback: CommitCallback }> = [];

  constructor(options: SqliteDbOptions) {
    super();
    this.pollDebounce = options.pollDebounce;
    if ('filename' in options) {
      const opened = openDatabase(options.filename, options);
      this.database = opened.database;
      this.ownsDatabase = true;
    } else {
      this.database = options.database;
      this.ownsDatabase = false;
    }
    this.statements = new SqliteStatements(this.database);
    this.engine = new MingoQueryEngine({
      readSnapshot: (collection, id, includeMetadata) => this.readSnapshot(collection, id, includeMetadata),
      listIds: (collection) => this.statements.listIds.all(collection),
    });
  }

  override close(callback?: ErrorCallback): void {
    let failure: Error | undefined;
    if (!this.closed) {
      this.closed = true;
      try {
        if (this.ownsDatabase) this.database.close();
      } catch (error) {
        failure = toError(error);
      }
    }
    if (callback) process.nextTick(callback, failure);
  }

  override commit(
    collection: string,
    id: string,
    op: OpRecord,
    snapshot: SnapshotToCommit,
    _options: unknown,
    callback: CommitCallback,
  ): void {
    if (this.closed) return void process.nextTick(callback, closedError());
    if (!Number.isInteger(op.v) || snapshot.v !== op.v + 1) {
      return void process.nextTick(callback, new Error(`Cannot commit op v${String(op.v)} with snapshot v${String(snapshot.v)}`));
    }
    // Serialised now, before the write lock is taken, to hold it as briefly as possible.
    this.pendingCommits.push({
      callback,
      row: {
        collection,
        id,
        v: op.v,
        src: typeof op.src === 'string' ? op.src : null,
        seq: typeof op.seq === 'number' ? op.seq : null,
        op: JSON.stringify(op),
        type: snapshot.type ?? null,
        nextV: snapshot.v,
        data: snapshot.data === undefined ? null : JSON.stringify(snapshot.data),
        m: snapshot.m == null ? null : JSON.stringify(snapshot.m),
      },
    });
    if (this.pendingCommits.length === 1) setImmediate(() => this.flushCommits());
  }

  override getSnapshot(
    collection: string,
    id: string,
    fields: SnapshotFields,
    options: ReadOptions | null | undefined,
    callback: SnapshotCallback,
  ): void {
    this.answer(callback, () => this.readSnapshot(collection, id, wantsMetadata(fields, options)));
  }

  override getSnapshotBulk(
    collection: string,
    ids: readonly string[],
    fields: SnapshotFields,
    options: ReadOptions | null | undefined,
    callback: SnapshotMapCallback,
  ): void {
    this.answer(callback, () => {
      const includeMetadata = wantsMetadata(fields, options);
      const snapshots: Record<string, SnapshotRecord> = Object.create(null);
      for (const id of ids) snapshots[id] = this.readSnapshot(collection, id, includeMetadata);
      return snapshots;
    });
  }

  override getOps(
    collection: string,
    id: string,
    from: number | null,
    to: number | null,
    options: ReadOptions | null | undefined,
    callback: OpsCallback,
  ): void {
    this.answer(callback, () => this.readOps(collection, id, from, to, options?.metadata === true));
  }

  override getOpsBulk(
    collection: string,
    fromMap: Readonly<Record<string, number | null>>,
    toMap: Readonly<Record<string, number | null | undefined>> | null | undefined,
    options: ReadOptions | null | undefined,
    callback: OpsMapCallback,
  ): void {
    this.answer(callback, () => {
      const includeMetadata = options?.metadata === true;
      const result: Record<string, OpRecord[]> = Object.create(null);
      for (const id of Object.keys(fromMap)) {
        result[id] = this.readOps(collection, id, fromMap[id] ?? null, toMap?.[id] ?? null, includeMetadata);
      }
      return result;
    });
  }

  /** The version at which an op (by `src` and `seq`) was committed, before `snapshot.v`; an index lookup. */
  override getCommittedOpVersion(
    collection: string,
    id: string,
    snapshot: { v: number },
    op: Pick<OpRecord, 'src' | 'seq'>,
    _options: unknown,
    callback: VersionCallback,
  ): void {
    this.answer<number | undefined>(callback, () =>
      this.statements.committedOpVersion.get(collection, id, op.src ?? null, op.seq ?? null, snapshot.v),
    );
  }

  override query: ShareDB.DBQueryMethod = (collection, query, _fields, options, callback) => {
    const includeMetadata = (options as ReadOptions | null | undefined)?.metadata === true;
    const reply = callback as unknown as (error?: Error, snapshots?: SnapshotRecord[], extra?: unknown) => void;
    this.answer<QueryResult>(
      (error, result) => (error || !result ? reply(error) : reply(undefined, result.snapshots, result.extra)),
      () => {
        // Match on metadata too (queries may filter on `_m`), then drop it unless asked for.
        const snapshots = this.statements.listSnapshots.all(collection).map((row) => toSnapshot(row, true));
        const result = this.engine.run(snapshots, query as MongoQuery);
        if (!includeMetadata) for (const snapshot of result.snapshots) snapshot.m = null;
        return result;
      },
    );
  };

  override queryPollDoc(
    collection: string,
    id: string,
    query: MongoQuery,
    options: ReadOptions | null | undefined,
    callback: PollDocCallback,
  ): void {
    if (this.closed) return process.nextTick(callback, closedError());
    this.engine.queryPollDoc(collection, id, query, options, callback);
  }

  override canPollDoc(collection?: string, query?: MongoQuery): boolean {
    return collection !== undefined && query !== undefined && this.engine.canPollDoc(collection, query);
  }

  /** Deletes ops in [from, to) (all when null), as MemoryDB does; later reads of them fail with 'Missing ops'. */
  deleteOps(collection: string, id: string, from: number | null, to: number | null, callback: ErrorCallback): void {
    this.answer<void>(
      (error) => callback(error),
      () => void this.statements.deleteOps.run(collection, id, from ?? 0, to ?? Number.MAX_SAFE_INTEGER),
    );
  }

  private readSnapshot(collection: string, id: string, includeMetadata: boolean): SnapshotRecord {
    const row = includeMetadata
      ? this.statements.snapshotWithMeta.get(collection, id)
      : this.statements.snapshot.get(collection, id);
    return row ? toSnapshot(row, includeMetadata) : { id, v: 0, type: null, data: undefined, m: null };
  }

  private readOps(
    collection: string,
    id: string,
    from: number | null,
    to: number | null,
    includeMetadata: boolean,
  ): OpRecord[] {
    const start = from ?? 0;
    const end = to ?? this.statements.version.get(collection, id) ?? 0;
    const ops = this.statements.opsRange.all(collection, id, start, end).map((json) => JSON.parse(json) as OpRecord);
    if (ops.length < end - start) throw new Error('Missing ops');
    if (!includeMetadata) for (const op of ops) delete op.m;
    return ops;
  }

  /** Runs `compute` now and answers on a later tick: the value, or whatever it threw. */
  /**
   * Group commit: the commits that arrived in one turn of the event loop go to SQLite in one transaction (one WAL
   * append, and with `DURABILITY=power` one fsync, for all of them). Each still gets its own version check and its
   * own answer; every callback runs only after the transaction is durable. When the batch fails as a whole, each
   * commit is retried alone, so one failing commit does not fail the others.
   */
  private flushCommits(): void {
    const batch = this.pendingCommits.splice(0);
    if (batch.length > 1) {
      try {
        if (this.closed) throw closedError();
        const results = this.statements.commitBatch.immediate(batch.map((entry) => entry.row));
        batch.forEach(({ callback }, i) => process.nextTick(callback, undefined, results[i]));
        return;
      } catch {
        // Nothing of the batch was written (a full disk, say): commit one by one, so each gets its own answer.
      }
    }
    for (const { row, callback } of batch) this.answer(callback, () => this.statements.commit.immediate(row));
  }

  private answer<T>(callback: Answer<T>, compute: () => T): void {
    let value: T;
    try {
      if (this.closed) throw closedError();
      value = compute();
    } catch (error) {
      process.nextTick(callback, toError(error));
      return;
    }
    process.nextTick(callback, undefined, value);
  }
}

function wantsMetadata(fields: SnapshotFields, options: ReadOptions | null | undefined): boolean {
  return fields?.['$submit'] === true || options?.metadata === true;
}

function toSnapshot(row: SnapshotRow, includeMetadata: boolean): SnapshotRecord {
  return {
    id: row.id,
    v: row.v,
    type: row.type,
    data: row.data === null ? undefined : (JSON.parse(row.data) as unknown),
    m: includeMetadata && row.m != null ? (JSON.parse(row.m) as SnapshotRecord['m']) : null,
  };
}

function closedError(): Error {
  return Object.assign(new Error('The SQLite store is closed'), { code: 'ERR_STORAGE_CLOSED' });
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
