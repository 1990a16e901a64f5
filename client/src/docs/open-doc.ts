/**
 * Opening a document that may not exist yet: fetch, create it when it is missing, then subscribe. Two clients racing
 * to create the same id both succeed: the loser's create is refused with ERR_DOC_ALREADY_CREATED, ShareDB fetches the
 * winner's document, and the loser subscribes to it like everyone else. (Subscribing before creating would let the
 * winner's create arrive while the loser's is in flight, and ShareDB then reports the refusal a second time as a
 * doc 'error' event.)
 *
 * The doc comes with pruned-history recovery attached (see recovery/pruned-recovery.ts) unless `recovery: false`.
 */
import type { Connection, Doc } from 'sharedb/lib/client/index.js';
import { ConcordError, isTypeName, TYPE_NAMES, type TypeName } from '@concord/shared';
import { errorCode } from '../connection/errors.js';
import { connectionClosed, isStopped } from '../connection/pending-requests.js';
import { recoverPrunedEdits, type RecoveryOptions } from '../recovery/pruned-recovery.js';

export interface CreateSpec<T> {
  type: TypeName;
  /** Initial data when this client is the one that creates the document. */
  data: T;
}

export interface OpenDocOptions<T> {
  /**
   * What to do with edits the server refuses because the history they were made on was pruned (a client offline
   * for long): text types merge them into the current document, JSON types hand them to `onConflict`. Recovery is
   * on by default; `false` leaves ShareDB's own behaviour (the edits are rolled back and reported as errors).
   */
  recovery?: RecoveryOptions<T> | false;
}

/**
 * Subscribes to `collection/id`, creating it from `create` if it does not exist. Resolves once it has a type.
 * Rejects with ERR_UNKNOWN_TYPE for a type outside the four, and with ERR_CONNECTION_CLOSED on a connection closed
 * for good (before or while it waits for the server).
 */
export async function openDoc<T>(connection: Connection, collection: string, id: string, create: CreateSpec<T>,
  options: OpenDocOptions<T> = {}): Promise<Doc<T>> {
  if (!isTypeName(create.type)) {
    throw new ConcordError('ERR_UNKNOWN_TYPE', `unknown type ${JSON.stringify(create.type)}: use one of ${TYPE_NAMES.join(', ')}`);
  }
  // A stopped connection never answers: ShareDB would keep the request waiting for a reconnect that never comes.
  if (isStopped(connection)) throw connectionClosed();
  const doc = connection.get(collection, id) as Doc<T>;
  // Before the first read, so that the server's document is tracked from the start (the base of a later merge).
  if (options.recovery !== false) recoverPrunedEdits(doc, options.recovery ?? {});
  if (!doc.subscribed) await callback((cb) => doc.fetch(cb));
  if (!doc.type) {
    try {
      await callback((cb) => doc.create(create.data, create.type, cb));
    } catch (err) {
      // The refused create was rolled back by refetching: the doc now holds the winner's data.
      if (errorCode(err) !== 'ERR_DOC_ALREADY_CREATED') throw err;
    }
  }
  await callback((cb) => doc.subscribe(cb));
  if (!doc.type) throw new Error(`document ${collection}/${id} does not exist (deleted?)`);
  return doc;
}

function callback(fn: (cb: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}
