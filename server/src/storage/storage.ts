import type ShareDB from 'sharedb';
import type { AccessStore } from './access/access-store.js';
import type { HistoryStore } from './history-store.js';

/** Which storage backs a server. */
export type StorageKind = 'sqlite' | 'memory' | 'mongo';

/**
 * One storage behind the engine: ShareDB's DB adapter for snapshots and ops, the milestone store for
 * reading past versions without replaying the whole log, and a readiness probe. Every implementation
 * passes ShareDB's own adapter suite (`sharedb/test/db`).
 */
export interface Storage {
  readonly kind: StorageKind;
  /** ShareDB's DB adapter: snapshots, op log, queries. */
  readonly db: ShareDB.DB;
  /** Snapshots every `milestoneInterval` versions, so past versions do not replay the whole log. */
  readonly milestoneDb: ShareDB.MilestoneDB;
  /**
   * Document owners and per-document grants, in the same store (so every process sharing it sees them). Absent
   * for a storage that cannot keep them: then owner rules and the `acl` routes are unavailable.
   */
  readonly access?: AccessStore;
  /**
   * Op-log maintenance for retention and purge: pruning ops, listing milestones, purging a document. Every built-in
   * storage has it; without it (a custom storage) retention does nothing and purge answers ERR_INTERNAL.
   */
  readonly history?: HistoryStore;
  /** Resolves when the store answers a trivial read; rejects (or times out) when it does not. */
  ping(): Promise<void>;
  /** Flushes and closes every handle. Idempotent. */
  close(): Promise<void>;
}
