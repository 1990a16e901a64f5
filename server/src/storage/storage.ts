import type ShareDB from 'sharedb';

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
  /** Resolves when the store answers a trivial read; rejects (or times out) when it does not. */
  ping(): Promise<void>;
  /** Flushes and closes every handle. Idempotent. */
  close(): Promise<void>;
}
