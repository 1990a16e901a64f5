/**
 * The shapes ShareDB hands to and expects from a DB adapter, typed more precisely than
 * `@types/sharedb` does (it types most adapter arguments as `any`).
 */

/** Snapshot metadata: `ctime`/`mtime` (epoch ms) and `_create` are set by ShareDB's submit. */
export interface SnapshotMeta {
  ctime?: number;
  mtime?: number;
  [key: string]: unknown;
}

/** A document snapshot as read from an adapter. `type` is null and `data` undefined when absent. */
export interface SnapshotRecord {
  id: string;
  v: number;
  type: string | null;
  data?: unknown;
  m: SnapshotMeta | null;
}

/** The snapshot passed to `commit()`: the state after the op. */
export interface SnapshotToCommit {
  id?: string;
  v: number;
  type: string | null;
  data?: unknown;
  m?: SnapshotMeta | null;
}

/** One entry of the op log: exactly one of `op`, `create` and `del`, plus bookkeeping. */
export interface OpRecord {
  v: number;
  src?: string;
  seq?: number;
  m?: Record<string, unknown>;
  op?: unknown;
  create?: { type: string; data?: unknown };
  del?: boolean;
  [key: string]: unknown;
}

/** A query in sharedb-mongo's dialect (`$sort`, `$skip`, `$limit`, `$count`, `$aggregate`...). */
export type MongoQuery = Record<string, unknown>;

/** `getSnapshot()` fields: ShareDB passes `{$submit: true}` when it reads to apply an op. */
export type SnapshotFields = Readonly<Record<string, unknown>> | null | undefined;

/** Adapter read options: `metadata: true` asks for `m` on snapshots and ops. */
export interface ReadOptions {
  metadata?: boolean;
}

/** Node-style callbacks, `undefined` for no error, as @types/sharedb's `BasicCallback`. */
export type ErrorCallback = (error?: Error) => void;
export type CommitCallback = (error?: Error, succeeded?: boolean) => void;
export type SnapshotCallback = (error?: Error, snapshot?: SnapshotRecord) => void;
export type SnapshotMapCallback = (error?: Error, snapshots?: Record<string, SnapshotRecord>) => void;
export type OpsCallback = (error?: Error, ops?: OpRecord[]) => void;
export type OpsMapCallback = (error?: Error, ops?: Record<string, OpRecord[]>) => void;
export type VersionCallback = (error?: Error, version?: number) => void;
export type PollCallback = (error?: Error, ids?: string[], extra?: unknown) => void;
export type PollDocCallback = (error?: Error, matches?: boolean) => void;
/** Milestone reads answer `undefined` when there is no milestone. */
export type MilestoneCallback = (error?: Error, snapshot?: SnapshotRecord) => void;
