/** The observable status of a client connection: a state and the number of edits not yet acknowledged. */
import type { Connection, Doc } from 'sharedb/lib/client/index.js';

/**
 * - `connecting`: not online yet since `connect()`.
 * - `online`: connected and authenticated; edits flow.
 * - `offline`: was online, lost the connection, reconnecting; edits made now wait and are sent on return.
 * - `unauthenticated`: no valid token could be had; stopped.
 * - `closed`: stopped by `close()` or by a close code that forbids reconnecting (an `error` event says which).
 */
export type ClientState = 'connecting' | 'online' | 'offline' | 'unauthenticated' | 'closed';

export interface ConnectionStatus {
  readonly state: ClientState;
  /** Edits submitted on any document and not yet acknowledged by the server (pending plus in flight). */
  readonly pending: number;
}

/** A queued ShareDB op: `callbacks` holds one entry per submit composed into it. */
interface QueuedOp {
  callbacks?: unknown[];
}

/** The parts of ShareDB's Doc that hold unacknowledged ops (not in its published typings). */
interface DocQueue {
  inflightOp?: QueuedOp | null;
  pendingOps?: QueuedOp[];
}

/** Edits waiting on one document: ShareDB composes consecutive submits into one op, so count submits. */
export function pendingEdits(doc: Doc): number {
  const queue = doc as unknown as DocQueue;
  const ops = [...(queue.inflightOp ? [queue.inflightOp] : []), ...(queue.pendingOps ?? [])];
  return ops.reduce((sum, op) => sum + Math.max(1, Array.isArray(op.callbacks) ? op.callbacks.length : 1), 0);
}

/** Edits waiting over every document of a connection. */
export function pendingOnConnection(connection: Connection): number {
  let sum = 0;
  for (const docs of Object.values(connection.collections)) {
    for (const doc of Object.values(docs)) sum += pendingEdits(doc);
  }
  return sum;
}

export function sameStatus(a: ConnectionStatus, b: ConnectionStatus): boolean {
  return a.state === b.state && a.pending === b.pending;
}
