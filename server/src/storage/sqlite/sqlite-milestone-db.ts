import type Database from 'better-sqlite3';
import ShareDB from 'sharedb';
import { toError } from '@concord/shared';
import type { ErrorCallback, MilestoneCallback, SnapshotRecord } from '../sharedb-records.js';
import { sqliteHandle, type SqliteHandleOptions } from './open-database.js';

export type SqliteMilestoneDbOptions = SqliteHandleOptions & {
  /**
   * ShareDB saves a milestone after committing every version divisible by this (unless `commit`
   * middleware sets `request.saveMilestoneSnapshot`). Undefined or 0: never by itself.
   */
  readonly interval?: number;
};

type StoredSnapshot = string;

/**
 * ShareDB's milestone store on SQLite: snapshots every `interval` versions, so that reading a past
 * version or time replays at most `interval` ops. Same semantics as ShareDB's MemoryMilestoneDB:
 * by version, the latest milestone at or before it (the latest of all for `null`); by time, the
 * latest at or before / the earliest at or after the given `m.mtime` (the first / the last of all
 * for `null`). Saving a version twice keeps the last one. Events: `save` after a save without
 * callback, `error` when such a save fails.
 */
export class SqliteMilestoneDb extends ShareDB.MilestoneDB {
  readonly database: Database.Database;
  readonly interval: number | undefined;
  private readonly ownsDatabase: boolean;
  private readonly save: Database.Statement<[string, string, number, number | null, string]>;
  private readonly atOrBeforeVersion: Database.Statement<[string, string, number], StoredSnapshot>;
  private readonly latest: Database.Statement<[string, string], StoredSnapshot>;
  private readonly earliest: Database.Statement<[string, string], StoredSnapshot>;
  private readonly atOrBeforeTime: Database.Statement<[string, string, number], StoredSnapshot>;
  private readonly atOrAfterTime: Database.Statement<[string, string, number], StoredSnapshot>;
  private closed = false;

  constructor(options: SqliteMilestoneDbOptions) {
    super();
    this.interval = options.interval;
    ({ database: this.database, owned: this.ownsDatabase } = sqliteHandle(options));
    const db = this.database;
    const select = (where: string, order: string): string =>
      `SELECT snapshot FROM milestones WHERE collection = ? AND id = ? ${where} ORDER BY ${order} LIMIT 1`;
    this.save = db.prepare(
      'INSERT OR REPLACE INTO milestones (collection, id, v, ts, snapshot) VALUES (?, ?, ?, ?, ?)',
    );
    this.atOrBeforeVersion = db.prepare<[string, string, number], string>(select('AND v <= ?', 'v DESC')).pluck();
    this.latest = db.prepare<[string, string], string>(select('', 'v DESC')).pluck();
    this.earliest = db.prepare<[string, string], string>(select('', 'v ASC')).pluck();
    // Milestones' mtimes grow with their versions; ordering by v mirrors MemoryMilestoneDB's scan.
    this.atOrBeforeTime = db.prepare<[string, string, number], string>(select('AND ts <= ?', 'v DESC')).pluck();
    this.atOrAfterTime = db.prepare<[string, string, number], string>(select('AND ts >= ?', 'v ASC')).pluck();
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

  override saveMilestoneSnapshot(collection: string, snapshot: ShareDB.Snapshot, callback?: ErrorCallback): void {
    const done =
      callback ??
      ((error?: Error) =>
        error ? this.emit('error', error as unknown as ShareDB.Error) : this.emit('save', collection, snapshot));
    this.answer<void>(
      (error) => done(error),
      () => {
        if (!collection) throw invalidArgument('Missing collection');
        if (!snapshot) throw invalidArgument('Missing snapshot');
        const mtime = snapshot.m?.mtime;
        const ts = typeof mtime === 'number' ? mtime : null;
        this.save.run(collection, snapshot.id, snapshot.v, ts, JSON.stringify(snapshot));
      },
    );
  }

  override getMilestoneSnapshot(
    collection: string,
    id: string,
    version: number | null,
    callback?: MilestoneCallback,
  ): void {
    this.answer<SnapshotRecord | undefined>(this.orEmit(callback), () => {
      checkTarget(collection, id);
      if (!isValidNumber(version)) throw invalidArgument('Invalid version');
      return parse(
        version === null ? this.latest.get(collection, id) : this.atOrBeforeVersion.get(collection, id, version),
      );
    });
  }

  override getMilestoneSnapshotAtOrBeforeTime(
    collection: string,
    id: string,
    timestamp: number | null,
    callback?: MilestoneCallback,
  ): void {
    this.byTime(collection, id, timestamp, callback, () => this.earliest.get(collection, id),
      (ts) => this.atOrBeforeTime.get(collection, id, ts));
  }

  override getMilestoneSnapshotAtOrAfterTime(
    collection: string,
    id: string,
    timestamp: number | null,
    callback?: MilestoneCallback,
  ): void {
    this.byTime(collection, id, timestamp, callback, () => this.latest.get(collection, id),
      (ts) => this.atOrAfterTime.get(collection, id, ts));
  }

  /** The two time lookups: `null` means the open end (`whenNull`), a number the nearest milestone (`atTime`). */
  private byTime(
    collection: string,
    id: string,
    timestamp: number | null,
    callback: MilestoneCallback | undefined,
    whenNull: () => Parameters<typeof parse>[0],
    atTime: (timestamp: number) => Parameters<typeof parse>[0],
  ): void {
    this.answer<SnapshotRecord | undefined>(this.orEmit(callback), () => {
      if (!isValidNumber(timestamp)) throw invalidArgument('Invalid timestamp');
      checkTarget(collection, id);
      return parse(timestamp === null ? whenNull() : atTime(timestamp));
    });
  }

  /** Without a callback, errors become `error` events, as in ShareDB's base MilestoneDB. */
  private orEmit(callback: MilestoneCallback | undefined): MilestoneCallback {
    return callback ?? ((error) => error && this.emit('error', error as unknown as ShareDB.Error));
  }

  /** Runs `compute` now and answers on a later tick: the value, or whatever it threw. */
  private answer<T>(callback: (error?: Error, value?: T) => void, compute: () => T): void {
    let value: T;
    try {
      if (this.closed) throw Object.assign(new Error('The SQLite milestone store is closed'), { code: 'ERR_STORAGE_CLOSED' });
      value = compute();
    } catch (error) {
      process.nextTick(callback, toError(error));
      return;
    }
    process.nextTick(callback, undefined, value);
  }
}

function parse(json: string | undefined): SnapshotRecord | undefined {
  return json === undefined ? undefined : (JSON.parse(json) as SnapshotRecord);
}

function checkTarget(collection: string, id: string): void {
  if (!collection) throw invalidArgument('Missing collection');
  if (!id) throw invalidArgument('Missing ID');
}

/** ShareDB's rule for versions and timestamps: null, or a non-negative integer. */
function isValidNumber(value: unknown): value is number | null {
  return value === null || (typeof value === 'number' && Number.isInteger(value) && value >= 0);
}

/** ShareDB's own error class (untyped in @types/sharedb), so clients get its usual `code`. */
const ShareDBError = (ShareDB as unknown as { Error: new (code: string, message: string) => Error }).Error;

function invalidArgument(message: string): Error {
  return new ShareDBError('ERR_MILESTONE_ARGUMENT_INVALID', message);
}
