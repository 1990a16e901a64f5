import { ConcordError } from '@concord/shared';

/** A commit built on the not yet written state of one that failed. */
export function predecessorFailed(): Error {
  return new ConcordError('ERR_STORAGE_UNAVAILABLE', 'an earlier op on this document was not saved, so this one was not either');
}

export function closedError(): Error {
  return Object.assign(new Error('The SQLite store is closed'), { code: 'ERR_STORAGE_CLOSED' });
}
