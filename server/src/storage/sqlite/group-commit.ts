import type Database from 'better-sqlite3';
import { toError } from '@concord/shared';
import type { CommitCallback } from '../sharedb-records.js';
import { snapshotJson, type CommitRow, type SqliteStatements } from './sqlite-statements.js';
import type { HotDocs, HotEntry, Tentative } from './hot-docs.js';
import { closedError, predecessorFailed } from './sqlite-errors.js';
import { DocMap } from '../doc-map.js';

/** A commit waiting for the group commit. */
export interface PendingCommit {
  readonly row: CommitRow;
  readonly callback: CommitCallback;
  /** The not yet written commit whose state this one was built on, if any: when it fails, this one fails. */
  readonly after: Tentative | undefined;
  /** The cache entry this commit advanced, and the token standing for this commit. */
  readonly advanced: { readonly entry: HotEntry; readonly tentative: Tentative } | undefined;
}

/** What a commit answers: written, lost its version check, or failed. */
type Outcome = true | false | Error;

/** How long to wait before trying again for the write lock another process holds: doubling, up to the cap. */
const LOCK_RETRY_FIRST_MS = 1;
const LOCK_RETRY_CAP_MS = 8;

/**
 * Group commit: the commits that arrive in one turn of the event loop go to SQLite in one transaction (one WAL
 * append, and with `DURABILITY=power` one fsync, for all of them). Each still gets its own version check and its
 * own answer; every callback runs only after the transaction is durable. When the batch fails as a whole, each
 * commit is retried alone, so one failing commit does not fail the others. A commit built on the tentative state of
 * one that failed (or lost its version check) fails with ERR_STORAGE_UNAVAILABLE instead of being written.
 *
 * With other processes writing the file, the write lock is often theirs. SQLite's busy handler would wait for it
 * inside the call, sleeping up to 100 ms at a time with this process's event loop stopped: no deliveries, no reads,
 * no acks (two instances on a hot document spent most of their time there, and ops crossing between them took
 * 0.5-1.3 s at the 99th percentile). So a batch first tries for the lock without waiting, and when it is held the
 * batch waits on a timer, gathering the commits that arrive meanwhile, for up to the busy timeout; only then does
 * it wait inside SQLite as before.
 */
export class GroupCommit {
  private readonly pending: PendingCommit[] = [];
  private readonly batch: Database.Transaction<(batch: readonly PendingCommit[]) => Outcome[]>;
  private readonly lockTimeoutMs: number;
  /** When the queued batch first found the lock held, and the timer that tries again. */
  private lockWaitSince: number | undefined;
  private retryDelayMs = LOCK_RETRY_FIRST_MS;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly database: Database.Database,
    private readonly statements: SqliteStatements,
    private readonly hot: HotDocs,
    private readonly isClosed: () => boolean,
    /** Whether other processes may write the file (otherwise the lock is never held by another). */
    private readonly othersWrite: () => boolean = () => true,
  ) {
    this.batch = database.transaction((batch: readonly PendingCommit[]) => this.commitInOrder(batch));
    this.lockTimeoutMs = Number(database.pragma('busy_timeout', { simple: true })) || 0;
  }

  /** Queues a commit for the end of this turn of the event loop. */
  add(commit: PendingCommit): void {
    this.pending.push(commit);
    if (this.pending.length === 1) setImmediate(() => this.flush(false));
  }

  /** Whether a commit of the document waits to be written. */
  holds(collection: string, id: string): boolean {
    return this.pending.some(({ row }) => row.collection === collection && row.id === id);
  }

  /**
   * Writes what is queued now. `wait` (a read that must see it comes next): even if that means waiting inside
   * SQLite for another process's write lock.
   */
  flush(wait = true): void {
    if (this.retry !== undefined) {
      if (!wait) return;
      clearTimeout(this.retry);
      this.retry = undefined;
    }
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    let outcomes: Outcome[] | undefined;
    const tryLock = this.tryingForLock(wait);
    if (!this.isClosed() && (batch.length > 1 || tryLock)) {
      try {
        outcomes = tryLock ? this.withoutLockWait(batch) : this.batch.immediate(batch);
      } catch (error) {
        if (tryLock && isBusy(error)) return this.retryLater(batch);
        // Nothing of the batch was written (a full disk, say): commit one by one, so each gets its own answer.
      }
    }
    this.lockWaitSince = undefined;
    this.retryDelayMs = LOCK_RETRY_FIRST_MS;
    outcomes ??= this.commitInOrder(batch, true);
    batch.forEach(({ advanced, callback }, i) => {
      const outcome = outcomes[i];
      if (advanced) this.hot.settle(advanced.entry, advanced.tentative, outcome === true);
      if (outcome instanceof Error) process.nextTick(callback, outcome);
      else process.nextTick(callback, undefined, outcome);
    });
  }

  /** Whether to try for the write lock without waiting inside SQLite (see the class comment). */
  private tryingForLock(wait: boolean): boolean {
    if (wait || this.lockTimeoutMs === 0 || !this.othersWrite()) return false;
    return this.lockWaitSince === undefined || performance.now() - this.lockWaitSince < this.lockTimeoutMs;
  }

  /** SQLite sets busy_timeout when it prepares the pragma, so it is run (prepared) each time, not kept prepared. */
  private withoutLockWait(batch: readonly PendingCommit[]): Outcome[] {
    this.database.pragma('busy_timeout = 0');
    try {
      return this.batch.immediate(batch);
    } finally {
      this.database.pragma(`busy_timeout = ${this.lockTimeoutMs}`);
    }
  }

  /** The lock is another process's: the batch goes back ahead of what has queued since, and is tried again soon. */
  private retryLater(batch: readonly PendingCommit[]): void {
    this.pending.unshift(...batch);
    this.lockWaitSince ??= performance.now();
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.flush(false);
    }, this.retryDelayMs);
    this.retryDelayMs = Math.min(LOCK_RETRY_CAP_MS, this.retryDelayMs * 2);
  }

  /**
   * Commits in arrival order, skipping those built on the tentative state of a commit that failed, earlier in this
   * batch or before. `alone`: each in its own transaction, errors answered per commit; otherwise inside the
   * caller's transaction, where an error aborts the whole batch (and nothing here is marked failed).
   */
  private commitInOrder(batch: readonly PendingCommit[], alone = false): Outcome[] {
    const failed = new Set<Tentative>();
    // In one transaction, a document's snapshot row is written once, by its last commit that passed its version
    // check: a hot document's state (kilobytes for a long text) is not rewritten for every op of the batch.
    const last = new DocMap<PendingCommit>();
    const outcomes = batch.map((commit): Outcome => {
      const { row, after, advanced } = commit;
      if (after && (after.failed || failed.has(after))) {
        if (advanced) failed.add(advanced.tentative);
        return predecessorFailed();
      }
      let outcome: Outcome;
      if (!alone) {
        outcome = this.statements.appendOp(row, last.get(row.collection, row.id)?.row.nextV);
        if (outcome) last.set(row.collection, row.id, commit);
      } else {
        try {
          if (this.isClosed()) throw closedError();
          outcome = this.statements.commit.immediate(row);
        } catch (error) {
          outcome = toError(error);
        }
      }
      if (outcome !== true && advanced) failed.add(advanced.tentative);
      else if (alone && advanced) this.hot.measured(advanced.entry, advanced.tentative, snapshotJson(row));
      return outcome;
    });
    for (const { row, advanced } of last.values()) {
      this.statements.writeSnapshot(row);
      if (advanced) this.hot.measured(advanced.entry, advanced.tentative, snapshotJson(row));
    }
    return outcomes;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT';
}
