/** The server's refusals that mean "the history this needs was pruned", as the client sees them. */
const PRUNED_CODES = new Set(['ERR_HISTORY_PRUNED', 'ERR_SUBMIT_TRANSFORM_OPS_NOT_FOUND']);
/** A read error ShareDB's client settles quietly (callbacks called without error, no 'error' event). */
export const SILENT = { code: 'ERR_SNAPSHOT_READ_SILENT_REJECTION', message: 'history pruned: recovering' };

export interface ErrorData {
  code?: unknown;
  message?: unknown;
  details?: unknown;
}

export function isPruned(error: unknown): error is ErrorData {
  return typeof error === 'object' && error !== null && PRUNED_CODES.has(String((error as ErrorData).code));
}

export function prunedError(data: ErrorData | undefined): Error {
  const message = typeof data?.message === 'string' ? data.message : 'the history of the document was pruned';
  return Object.assign(new Error(message), { code: 'ERR_HISTORY_PRUNED' }, data?.details !== undefined ? { details: data.details } : {});
}
