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

/**
 * Group commit: the commits that arrive in one turn of the event loop go to SQLite in one transaction (one WAL
 * append, and with `DURABILITY=power` one fsync, for all of them). Each still gets its own version check and its
 * own answer; every callback runs only after the transaction is durable. When the batch fails as a whole, each
 * commit is retried alone, so one failing commit does not fail the others. A commit built on the tentative state of
 * one that failed (or lost its version check) fails with ERR_STORAGE_UNAVAILABLE instead of being written.
 */
export class GroupCommit {
  private readonly pending: PendingCommit[] = [];
  private readonly batch: Database.Transaction<(batch: readonly PendingCommit[]) => Outcome[]>;

  constructor(
    database: Database.Database,
    private readonly statements: SqliteStatements,
    private readonly hot: HotDocs,
    private readonly isClosed: () => boolean,
  ) {
    this.batch = database.transaction((batch: readonly PendingCommit[]) => this.commitInOrder(batch));
  }

  /** Queues a commit for the end of this turn of the event loop. */
  add(commit: PendingCommit): void {
    this.pending.push(commit);
    if (this.pending.length === 1) setImmediate(() => this.flush());
  }

  /** Writes what is queued now (a read that must see it comes next). */
  flush(): void {
    const batch = this.pending.splice(0);
    let outcomes: Outcome[] | undefined;
    if (batch.length > 1 && !this.isClosed()) {
      try {
        outcomes = this.batch.immediate(batch);
      } catch {
        // Nothing of the batch was written (a full disk, say): commit one by one, so each gets its own answer.
      }
    }
    outcomes ??= this.commitInOrder(batch, true);
    batch.forEach(({ advanced, callback }, i) => {
      const outcome = outcomes[i];
      if (advanced) this.hot.settle(advanced.entry, advanced.tentative, outcome === true);
      if (outcome instanceof Error) process.nextTick(callback, outcome);
      else process.nextTick(callback, undefined, outcome);
    });
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
