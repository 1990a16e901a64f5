/**
 * What a connection closed for good owes its callers. ShareDB keeps a doc's fetches, subscribes and unacknowledged
 * edits, and the connection's queries and snapshot fetches, waiting for a reconnect, so once the client has stopped
 * (close(), a close code that forbids reconnecting, failed authentication) their callbacks would never be called, and
 * an `await` on them would hang. They are called with ERR_CONNECTION_CLOSED instead. The edits themselves stay in the
 * doc, unsent (and counted as pending). Requests made after the stop are settled the same way (`settleFromNowOn`).
 */
import type { Connection, Doc } from 'sharedb/lib/client/index.js';
import { ConcordError } from '@concord/shared';
import { callEach, type Callback } from '../recovery/doc-internals.js';

/** A subscribe or unsubscribe request of ShareDB's Doc. */
interface SubscribeRequest {
  wantSubscribe: boolean;
  callback?: Callback | null;
}

/** The parts of ShareDB's Doc holding requests awaiting the server (not in its published typings). */
interface WaitingDoc {
  inflightFetch: Array<Callback | null | undefined>;
  pendingFetch: Array<Callback | null | undefined>;
  inflightSubscribe: SubscribeRequest | null;
  pendingSubscribe: SubscribeRequest[];
  _flushSubscribe(): void;
  inflightOp: { callbacks?: Array<Callback | null | undefined> } | null;
  pendingOps: Array<{ callbacks?: Array<Callback | null | undefined> }>;
}

export function connectionClosed(): ConcordError {
  return new ConcordError('ERR_CONNECTION_CLOSED', 'the connection was closed for good before the server answered');
}

/** True once ShareDB's connection is closed for good ('closed' or 'stopped'): it will not send anything again. */
export function isStopped(connection: Connection): boolean {
  const state = connection.state as string;
  return state === 'closed' || state === 'stopped';
}

/** The parts of ShareDB's Connection holding queries and snapshot requests (not in its published typings). */
interface WaitingConnection {
  queries?: Record<string, { callback?: Callback | null }>;
  _snapshotRequests?: Record<string, { callback?: Callback | null }>;
}

/**
 * Calls back every request of `connection` with ERR_CONNECTION_CLOSED (see the module comment): each doc's, each
 * query's first answer (`createFetchQuery`, `createSubscribeQuery`), and each `fetchSnapshot` /
 * `fetchSnapshotByTimestamp`.
 */
export function settleAll(connection: Connection): void {
  for (const docs of Object.values(connection.collections)) {
    for (const doc of Object.values(docs)) settle(doc);
  }
  const waiting = connection as unknown as WaitingConnection;
  const callbacks: Array<Callback | null | undefined> = [];
  for (const query of Object.values(waiting.queries ?? {})) {
    // ShareDB clears a query's callback once it has answered: only a first answer still awaited is settled.
    callbacks.push(query.callback);
    query.callback = null;
  }
  const snapshots = waiting._snapshotRequests ?? {};
  for (const id of Object.keys(snapshots)) {
    callbacks.push(snapshots[id]?.callback);
    delete snapshots[id];
  }
  callEach(callbacks, connectionClosed());
}

/**
 * Settles, from now on, what is asked of `connection` once it has stopped: ShareDB keeps a request made on a closed
 * connection waiting too (a doc's fetch, subscribe or edit, a query, a snapshot fetch), so each such call is followed,
 * a microtask later (never within the call), by settling what waits.
 */
export function settleFromNowOn(connection: Connection): void {
  const settleSoon = (): void => queueMicrotask(() => settleAll(connection));
  const watched = new WeakSet<object>();
  const watch = (doc: Doc): void => {
    if (watched.has(doc)) return;
    watched.add(doc);
    after(doc, ['_fetch', '_queueSubscribe', '_submit'], settleSoon);
  };
  for (const docs of Object.values(connection.collections)) {
    for (const doc of Object.values(docs)) watch(doc);
  }
  after(connection, ['createFetchQuery', 'createSubscribeQuery', 'fetchSnapshot', 'fetchSnapshotByTimestamp'], settleSoon);
  after(connection, ['get'], (doc) => watch(doc as Doc));
}

/** Replaces `target`'s methods `names` (on the instance) by ones calling `then` with the result after the original. */
function after(target: object, names: readonly string[], then: (result: unknown) => void): void {
  const methods = target as Record<string, unknown>;
  for (const name of names) {
    const original = methods[name];
    if (typeof original !== 'function') continue;
    methods[name] = function (this: unknown, ...args: unknown[]): unknown {
      const result: unknown = original.apply(this, args);
      then(result);
      return result;
    };
  }
}

function settle(doc: Doc): void {
  const waiting = doc as unknown as WaitingDoc;
  const callbacks: Array<Callback | null | undefined> = [...waiting.inflightFetch.splice(0), ...waiting.pendingFetch.splice(0)];
  // Subscribes only: offline, ShareDB answers an unsubscribe itself (on the next tick, from inflightSubscribe).
  if (waiting.inflightSubscribe?.wantSubscribe) {
    callbacks.push(waiting.inflightSubscribe.callback);
    waiting.inflightSubscribe = null;
  }
  const unsubscribes = waiting.pendingSubscribe.filter((request) => !request.wantSubscribe);
  callbacks.push(...waiting.pendingSubscribe.filter((request) => request.wantSubscribe).map((request) => request.callback));
  waiting.pendingSubscribe.splice(0, waiting.pendingSubscribe.length, ...unsubscribes);
  if (unsubscribes.length > 0 && !waiting.inflightSubscribe) waiting._flushSubscribe();
  for (const op of [...(waiting.inflightOp ? [waiting.inflightOp] : []), ...waiting.pendingOps]) {
    // Each edit called back once; the nulls keep the count of edits (the status's `pending`).
    if (op.callbacks) callbacks.push(...op.callbacks.splice(0, op.callbacks.length, ...op.callbacks.map(() => null)));
  }
  callEach(callbacks, connectionClosed());
}
