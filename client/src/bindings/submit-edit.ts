/**
 * How the bindings submit a user's edit, so that one edit too big for the server costs only itself.
 *
 * ShareDbSocket refuses an op message over the server's limit when ShareDB sends it, and ShareDB rolls the op back.
 * By then ShareDB may have composed the edit with the user's other unsent edits (those made while an earlier op
 * awaited its ack, or offline), and the rollback takes those too. So an edit whose message alone would be over the
 * limit is refused here, before ShareDB queues it; and an edit is composed into the op queued before it only while
 * the two stay under half the limit, so that no message of queued edits grows over it. An op of several edits that
 * the server refuses for another reason is split until the refused edit is alone (see rejection-split.ts).
 */
import type { Doc } from 'sharedb/lib/client/index.js';
import { ConcordError } from '@concord/shared';
import { asError } from '../connection/errors.js';
import { jsonBytes, messageLimitOf, tooBigMessage } from '../connection/sharedb-socket.js';
import { markQueue, recordEdit } from './rejection-split.js';

/** Room for the op message's other fields when measuring an edit (src is a connection id of about 20 characters). */
const ENVELOPE = JSON.stringify({ a: 'op', v: Number.MAX_SAFE_INTEGER, src: 'x'.repeat(64), seq: Number.MAX_SAFE_INTEGER, op: null });

/** ShareDB's queued op, as far as composing into it goes. */
interface QueuedOp {
  op?: unknown;
  sentAt?: number;
}

/** The bytes of the JSON of the edits composed into each queued op (an upper bound: a compose is rarely larger). */
const queuedBytes = new WeakMap<QueuedOp, number>();

/**
 * Submits `op` to `doc` as the binding's own (`source`), reporting a rejection to `report`. Returns false, having
 * submitted nothing and reported `ERR_MESSAGE_TOO_BIG`, if the op's message would be over the server's limit
 * (`connect({ maxMessageBytes })`); the caller then puts its view back to `doc.data`.
 */
export function submitEdit(doc: Doc, op: unknown, source: object, report: (err: Error) => void): boolean {
  const limit = messageLimitOf(doc.connection);
  const overhead = envelopeBytes(doc);
  const bytes = jsonBytes(JSON.stringify(op) ?? '', limit);
  if (bytes + overhead > limit) {
    report(new ConcordError('ERR_MESSAGE_TOO_BIG', tooBigMessage(bytes + overhead, limit)));
    return false;
  }
  const queue = (doc as unknown as { pendingOps: QueuedOp[] }).pendingOps;
  const last = queue[queue.length - 1];
  const lastBytes = last && !last.sentAt ? queuedBytes.get(last) ?? jsonBytes(JSON.stringify(last.op) ?? '', limit) : 0;
  const alone = (lastBytes + bytes + overhead) * 2 > limit && !doc.preventCompose;
  if (alone) doc.preventCompose = true;
  const mark = markQueue(doc);
  try {
    doc.submitOp(op, { source }, (err) => {
      if (err) report(asError(err));
    });
  } finally {
    if (alone) doc.preventCompose = false;
  }
  recordEdit(doc, mark, op);
  const queued = queue[queue.length - 1];
  if (queued) queuedBytes.set(queued, queued === last ? lastBytes + bytes : bytes);
  return true;
}

/** The bytes an op of `doc` may have for its message to stay under the server's limit. */
export function opBudget(doc: Doc): number {
  return messageLimitOf(doc.connection) - envelopeBytes(doc);
}

/** An upper bound of the bytes of an op message of `doc` without the op. */
function envelopeBytes(doc: Doc): number {
  return ENVELOPE.length + (JSON.stringify(doc.collection) + JSON.stringify(doc.id)).length * 3;
}
