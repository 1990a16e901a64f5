import { ConcordError, isErrorCode, type ErrorCode } from '@concord/shared';

/** ShareDB's own error codes, translated into the catalogue for REST answers. */
const FROM_SHAREDB: Record<string, ErrorCode> = {
  ERR_DOC_ALREADY_CREATED: 'ERR_DOC_ALREADY_CREATED',
  ERR_DOC_DOES_NOT_EXIST: 'ERR_DOC_NOT_FOUND',
  ERR_DOC_WAS_DELETED: 'ERR_DOC_NOT_FOUND',
  ERR_DOC_TYPE_NOT_RECOGNIZED: 'ERR_UNKNOWN_TYPE',
  ERR_OT_OP_NOT_APPLIED: 'ERR_OP_INVALID',
  ERR_OT_OP_BADLY_FORMED: 'ERR_OP_INVALID',
  ERR_OT_OP_NOT_PROVIDED: 'ERR_OP_INVALID',
  ERR_OT_LEGACY_JSON0_OP_CANNOT_BE_NORMALIZED: 'ERR_OP_INVALID',
  ERR_MESSAGE_BADLY_FORMED: 'ERR_BAD_REQUEST',
  ERR_OP_VERSION_NEWER_THAN_CURRENT_SNAPSHOT: 'ERR_VERSION_AHEAD',
  ERR_SUBMIT_TRANSFORM_OPS_NOT_FOUND: 'ERR_HISTORY_PRUNED',
  ERR_SNAPSHOT_READ_SILENT_REJECTION: 'ERR_FORBIDDEN',
  ERR_SNAPSHOT_READS_REJECTED: 'ERR_FORBIDDEN',
  ERR_MAX_SUBMIT_RETRIES_EXCEEDED: 'ERR_STORAGE_UNAVAILABLE',
  ERR_MILESTONE_ARGUMENT_INVALID: 'ERR_BAD_REQUEST',
  // Not ShareDB's but the SQLite store's: it is closed only when the server stops, under a request that got in before.
  ERR_STORAGE_CLOSED: 'ERR_SHUTTING_DOWN',
};

/** Any error from ShareDB, a storage or a policy, as a ConcordError with a catalogue code. */
export function toConcordError(err: unknown): ConcordError {
  if (err instanceof ConcordError) return err;
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(err);
  if (isErrorCode(code)) return new ConcordError(code, text);
  const mapped = typeof code === 'string' ? FROM_SHAREDB[code] : undefined;
  if (mapped) return new ConcordError(mapped, text);
  const internal = new ConcordError('ERR_INTERNAL', 'internal error');
  internal.cause = err;
  return internal;
}

/**
 * A storage failure (SQLite's SQLITE_FULL / SQLITE_IOERR / SQLITE_BUSY, a MongoDB error) as the catalogue's
 * ERR_STORAGE_UNAVAILABLE, so clients get one documented code instead of an adapter's internals.
 */
export function storageFailure(err: unknown): ConcordError | undefined {
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
  const sqlite = typeof code === 'string' && code.startsWith('SQLITE_');
  const mongo = typeof name === 'string' && name.startsWith('Mongo');
  if (!sqlite && !mongo) return undefined;
  return new ConcordError('ERR_STORAGE_UNAVAILABLE', sqlite && code === 'SQLITE_FULL' ? 'the disk is full; the op was not saved' : 'storage failed; the op was not saved');
}
