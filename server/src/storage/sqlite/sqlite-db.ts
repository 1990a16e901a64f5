import type Database from 'better-sqlite3';
import ShareDB from 'sharedb';
import { toError } from '@concord/shared';
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
import { sqliteHandle, type SqliteHandleOptions } from './open-database.js';
import { SqliteStatements, toSnapshot } from './sqlite-statements.js';
import { HOT_BASE, HotDocs, sharesData, type HotSnapshot } from './hot-docs.js';
import { GroupCommit } from './group-commit.js';
import { OtherWriters } from './other-writers.js';
import { closedError, predecessorFailed } from './sqlite-errors.js';

export type SqliteDbOptions = SqliteHandleOptions & {
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
  private readonly groupCommit: GroupCommit;
  /** Recently written documents (see HotDocs); cleared whenever another process has written to the file. */
  private readonly hot = new HotDocs();
  private readonly otherWriters: OtherWriters;
  /**
   * Called when a commit has been handed to the group commit and its result cached as the document's tentative
   * state: a submit to the same document that starts now builds on it and can be committed in the same batch. Set
   * by the engine when no other process writes the same documents (see Engine).
   */
  onCommitIssued: ((collection: string, id: string) => void) | undefined = undefined;

  constructor(options: SqliteDbOptions) {
    super();
    this.pollDebounce = options.pollDebounce;
    ({ database: this.database, owned: this.ownsDatabase } = sqliteHandle(options));
    this.statements = new SqliteStatements(this.database);
    const dataVersion = this.statements.dataVersion;
    this.otherWriters = new OtherWriters(() => dataVersion.get() as number);
    this.groupCommit = new GroupCommit(this.database, this.statements, this.hot, () => this.closed, () => this.onCommitIssued === undefined);
    this.engine = new MingoQueryEngine({
      readSnapshot: (collection, id, includeMetadata) => this.statements.readSnapshot(collection, id, includeMetadata),
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
    const base = (snapshot as HotSnapshot)[HOT_BASE];
    if (base?.tentative?.failed) return void process.nextTick(callback, predecessorFailed());
    // Serialised now, before the write lock is taken, to hold it as briefly as possible.
    const row: CommitRow = {
      collection,
      id,
      v: op.v,
      src: typeof op.src === 'string' ? op.src : null,
      seq: typeof op.seq === 'number' ? op.seq : null,
      op: JSON.stringify(op),
      type: snapshot.type ?? null,
      nextV: snapshot.v,
      // A shared type's data is never modified after the commit: serialized only if its snapshot row is written
      // (once per document per group commit). Other types' data is copied now, before a later op changes it.
      data: sharesData(snapshot.type ?? null) ? undefined : snapshot.data === undefined ? null : JSON.stringify(snapshot.data),
      value: snapshot.data,
      m: undefined,
      meta: snapshot.m,
    };
    const tentative = base && this.hot.advance(base, op.v, snapshot as SnapshotRecord, row.data, op, row.op.length);
    const advanced = base && tentative ? { entry: base.entry, tentative } : undefined;
    this.groupCommit.add({ row, callback, after: base?.tentative, advanced });
    if (advanced) this.onCommitIssued?.(collection, id);
  }

  override getSnapshot(
    collection: string,
    id: string,
    fields: SnapshotFields,
    options: ReadOptions | null | undefined,
    callback: SnapshotCallback,
  ): void {
    if (fields?.['$submit'] === true) return this.answer(callback, () => this.submitSnapshot(collection, id));
    this.answer(callback, () => this.statements.readSnapshot(collection, id, wantsMetadata(fields, options)));
  }

  /**
   * The ops a submit is transformed over: from the cache when the submit's snapshot came from it (its tentative
   * ops included), otherwise from the file.
   */
  override getOpsToSnapshot(
    collection: string,
    id: string,
    from: number | null,
    snapshotArg: number,
    options: ReadOptions | null | undefined,
    callback: OpsCallback,
  ): void {
    // @types/sharedb says number; ShareDB passes the snapshot the submit read.
    const snapshot = snapshotArg as unknown as HotSnapshot;
    if (from === null) return this.getOps(collection, id, from, snapshot.v, options, callback);
    const base = snapshot[HOT_BASE];
    if (!base || base.tentative?.failed) return this.getOps(collection, id, from, snapshot.v, options, callback);
    const { entry } = base;
    this.answer(callback, () => {
      const start = Math.max(from, entry.opsFrom);
      const cached = this.hot.opsOf(entry, start, snapshot.v);
      if (!cached) return this.statements.readOps(collection, id, from, snapshot.v, options?.metadata === true);
      const ops = from < start ? this.statements.readOps(collection, id, from, start, true).concat(cached) : cached;
      if (options?.metadata !== true) for (const op of ops) delete op.m;
      return ops;
    });
  }

  /**
   * Why the state a submit read (its `$submit` snapshot) is not in the file, writing first what waits for the group
   * commit if that state includes some of it; undefined once it is written. ShareDB answers some submits from what
   * they read, without a commit (an op found already submitted, one transformed into a no-op): with a commit not yet
   * written among it, such an answer may be an ack only once that commit is written (see Engine).
   */
  unwrittenSubmitState(snapshot: unknown): Error | undefined {
    const tentative = (snapshot as HotSnapshot | undefined)?.[HOT_BASE]?.tentative;
    if (!tentative) return undefined;
    this.groupCommit.flush();
    return tentative.failed ? predecessorFailed() : undefined;
  }

  /** Forgets what the cache holds of a document whose ops were pruned or purged. */
  forget(collection: string, id: string): void {
    this.hot.forget(collection, id);
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
      for (const id of ids) snapshots[id] = this.statements.readSnapshot(collection, id, includeMetadata);
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
    this.answer(callback, () => this.statements.readOps(collection, id, from, to, options?.metadata === true));
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
        result[id] = this.statements.readOps(collection, id, fromMap[id] ?? null, toMap?.[id] ?? null, includeMetadata);
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
    // A resent op may still be waiting for the group commit: write what waits first.
    this.groupCommit.flush();
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
    this.hot.forget(collection, id);
    this.answer<void>(
      (error) => callback(error),
      () => void this.statements.deleteOps.run(collection, id, from ?? 0, to ?? Number.MAX_SAFE_INTEGER),
    );
  }

  /** The snapshot a submit starts from: the cached latest state, tentative commits included. */
  private submitSnapshot(collection: string, id: string): SnapshotRecord {
    // Has another process committed since we looked? Then what the cache holds may be stale.
    if (this.otherWriters.committedSinceLastLook(this.onCommitIssued !== undefined)) this.hot.clear();
    const entry = this.hot.get(collection, id);
    if (entry) return this.hot.snapshotOf(entry);
    // Not cached (the cache was cleared for another process's write, or the document outgrew it) while a commit of it
    // waits: the file lacks that commit, so a submit would build on the version before it, and the cache would keep
    // serving that version once the commit is written. Written first, then.
    if (this.groupCommit.holds(collection, id)) this.groupCommit.flush();
    const row = this.statements.snapshotWithMeta.get(collection, id);
    const snapshot = row ? toSnapshot(row, true) : { id, v: 0, type: null, data: undefined, m: null };
    const loaded = this.hot.load(collection, id, snapshot, row?.data ?? null);
    return loaded ? this.hot.snapshotOf(loaded) : snapshot;
  }

  /** Runs `compute` now and answers on a later tick: the value, or whatever it threw. */
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
