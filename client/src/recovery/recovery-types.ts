/** What pruned-history recovery hands the application (see pruned-recovery.ts). */
import type { TypeName } from '@concord/shared';

/** Edits the server refused because their history was pruned, for the application to show (JSON types). */
export interface PrunedConflict<T = unknown> {
  readonly collection: string;
  readonly id: string;
  readonly type: TypeName | string;
  /** The server's document at `baseVersion`, the version the edits were made on; undefined if it is not known. */
  readonly base: T | undefined;
  readonly baseVersion: number;
  /** The document as this user had it: `base` with the edits. */
  readonly local: T;
  /** The server's document now (what the doc holds after recovery); undefined if it was deleted. */
  readonly current: T | undefined;
  readonly currentVersion: number;
  /** The refused ops, oldest first: the first applies to `base`, each next one to the result of the one before. */
  readonly pendingOps: unknown[];
  /** The server's ERR_HISTORY_PRUNED (its `details` name the versions that remain). */
  readonly error: Error;
}

/** Edits re-applied onto the current document by a three-way merge (text types). */
export interface PrunedMerge<T = unknown> {
  readonly collection: string;
  readonly id: string;
  readonly type: TypeName | string;
  readonly base: T;
  readonly baseVersion: number;
  readonly local: T;
  readonly current: T;
  readonly currentVersion: number;
  /** What the doc holds now: `current` with the edits. */
  readonly merged: T;
  /** The op submitted on `current` (empty when the edits were already there). */
  readonly op: unknown;
  readonly error: Error;
}

export interface RecoveryOptions<T = unknown> {
  /** JSON edits (or text edits that could not be merged) that were refused and not applied. */
  onConflict?: (conflict: PrunedConflict<T>) => void;
  /** Text edits that were merged into the current document and resubmitted. */
  onMerge?: (merge: PrunedMerge<T>) => void;
  /** Recovery itself failed (the current document could not be read, ...). Default: the doc's 'error' event. */
  onError?: (error: Error) => void;
}

/**
 * The `source` of the merged op recovery leaves pending (never emitted as an 'op' event: it is already in the doc).
 * Others' changes reach the doc as one op with source `false`, like any remote op.
 */
export const RECOVERY_SOURCE = Object.freeze({ prunedRecovery: true });
