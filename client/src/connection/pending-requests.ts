/**
 * What a connection closed for good owes its callers. ShareDB keeps a doc's fetches, subscribes and unacknowledged
 * edits, and the connection's queries and snapshot fetches, waiting for a reconnect, so once the client has stopped
 * (close(), a close code that forbids reconnecting, failed authentication) their callbacks would never be called, and
 * an `await` on them would hang. They are called with ERR_CONNECTION_CLOSED instead. The edits themselves stay in the
 * doc, unsent (and counted as pending).
 */
import type { Connection, Doc } from 'sharedb/lib/client/index.js';
import { ConcordError } from '@concord/shared';
import { callEach, type Callback } from '../recovery/doc-internals.js';

/** The parts of ShareDB's Doc holding requests awaiting the server (not in its published typings). */
interface WaitingDoc {
  inflightFetch: Array<Callback | null | undefined>;
  pendingFetch: Array<Callback | null | undefined>;
  inflightSubscribe: { callback?: Callback | null } | null;
  pendingSubscribe: Array<{ callback?: Callback | null }>;
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

function settle(doc: Doc): void {
  const waiting = doc as unknown as WaitingDoc;
  const callbacks: Array<Callback | null | undefined> = [...waiting.inflightFetch.splice(0), ...waiting.pendingFetch.splice(0)];
  const subscribes = [...(waiting.inflightSubscribe ? [waiting.inflightSubscribe] : []), ...waiting.pendingSubscribe.splice(0)];
  waiting.inflightSubscribe = null;
  callbacks.push(...subscribes.map((request) => request.callback));
  for (const op of [...(waiting.inflightOp ? [waiting.inflightOp] : []), ...waiting.pendingOps]) {
    // Each edit called back once; the nulls keep the count of edits (the status's `pending`).
    if (op.callbacks) callbacks.push(...op.callbacks.splice(0, op.callbacks.length, ...op.callbacks.map(() => null)));
  }
  callEach(callbacks, connectionClosed());
}
