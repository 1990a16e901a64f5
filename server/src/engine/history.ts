/**
 * Reads that reach below the op log's oldest stored op (pruned by retention, or removed by purge) as one
 * catalogue error, ERR_HISTORY_PRUNED (410), with the nearest versions that can still be read.
 */
import { ConcordError } from '@concord/shared';
import type { Storage } from '../storage/storage.js';

/** The adapters' ways of saying that ops in a requested range are gone. */
export function isMissingOps(err: unknown): boolean {
  if (err instanceof ConcordError) return err.code === 'ERR_HISTORY_PRUNED';
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (code === 'ERR_SUBMIT_TRANSFORM_OPS_NOT_FOUND') return true; // ShareDB: fewer ops than needed to transform
  if (code === 5103) return true; // sharedb-mongo: "Missing ops from requested version"
  // MemoryDB and the SQLite adapter: a plain Error('Missing ops').
  return code === undefined && typeof message === 'string' && message.startsWith('Missing ops');
}

export interface PrunedDetails {
  /** The version asked for (a read's version, an op's base version, a range's start). */
  readonly version: number;
  /** Oldest version from which ops are still stored: every version from here on can be read. */
  readonly oldest: number;
  /** Milestone versions nearest to `version` (the one at or below it and the next above), readable as they are. */
  readonly nearestMilestones: number[];
}

/** ERR_HISTORY_PRUNED for `collection/id` at `version`, with `details` computed from the storage (best effort). */
export async function prunedError(storage: Storage, collection: string, id: string, version: number,
  message = `version ${version} of ${collection}/${id} is no longer in the op log`): Promise<ConcordError> {
  try {
    const details = await prunedDetails(storage, collection, id, version);
    return new ConcordError('ERR_HISTORY_PRUNED', message, { ...details });
  } catch {
    return new ConcordError('ERR_HISTORY_PRUNED', message);
  }
}

/**
 * The error for ops missing from `[from, to)`: a range reaching past the document's current version asks for ops that
 * were never written (a read at a version the document has not reached: ERR_VERSION_AHEAD), not for pruned ones.
 */
export async function missingOpsError(storage: Storage, collection: string, id: string, from: number,
  to: number | null): Promise<ConcordError> {
  if (to !== null) {
    const current = await currentVersion(storage, collection, id).catch(() => undefined);
    if (current !== undefined && to > current) {
      return new ConcordError('ERR_VERSION_AHEAD', `${collection}/${id} is at version ${current}`);
    }
  }
  return prunedError(storage, collection, id, from);
}

export async function prunedDetails(storage: Storage, collection: string, id: string, version: number): Promise<PrunedDetails> {
  const { history } = storage;
  const [oldestOp, milestones] = history ? await Promise.all([
    history.oldestOpVersion(collection, id),
    history.milestoneVersions(collection, id),
  ]) : [undefined, []];
  const below = milestones.filter((v) => v <= version).pop();
  const above = milestones.find((v) => v > version);
  const nearestMilestones = [below, above].filter((v): v is number => v !== undefined);
  // No op left at all: only the current version (and milestones) can be read.
  const oldest = oldestOp ?? await currentVersion(storage, collection, id);
  return { version, oldest, nearestMilestones };
}

function currentVersion(storage: Storage, collection: string, id: string): Promise<number> {
  return new Promise((resolve, reject) => storage.db.getSnapshot(collection, id, null, null,
    (err: unknown, snapshot?: { v: number }) => (err ? reject(err) : resolve(snapshot?.v ?? 0))));
}
