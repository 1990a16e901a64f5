/**
 * The parts of ShareDB 7's client Doc that recovery reads and sets, which its published typings leave out. ShareDB
 * keeps a document's unacknowledged ops as `inflightOp` (sent, awaiting the server) and `pendingOps` (queued behind
 * it); each applies to the result of the one before, the first to the server's document at `version`.
 */
import type { Doc } from 'sharedb/lib/client/index.js';

export type Callback = (err?: unknown) => void;

/** One queued submit (possibly several composed): exactly one of `op`, `create`, `del`, or none (a no-op). */
export interface QueuedOp {
  op?: unknown;
  create?: unknown;
  del?: boolean;
  type?: unknown;
  source?: unknown;
  callbacks?: Array<Callback | null | undefined>;
  /** Set once sent: the connection id and sequence number the server acknowledges it by. */
  src?: string | null;
  seq?: number | null;
  sentAt?: number;
}

interface SubscribeRequest {
  wantSubscribe: boolean;
}

export interface OTTypeLike {
  name: string;
  uri: string;
  apply(snapshot: unknown, op: unknown): unknown;
  compose?(a: unknown, b: unknown): unknown;
  deserialize?(data: unknown): unknown;
}

export interface DocInternals {
  type: OTTypeLike | null;
  data: unknown;
  version: number | null;
  inflightOp: QueuedOp | null;
  pendingOps: QueuedOp[];
  inflightSubscribe: SubscribeRequest | null;
  wantSubscribe: boolean;
  /** Applies an op to `data` and emits 'before op' / 'op' / 'op batch' with `source` (false: as a remote op). */
  _otApply(op: { op: unknown }, source: unknown): void;
  _emitNothingPending?(): void;
}

export function internals(doc: Doc): DocInternals {
  return doc as unknown as DocInternals;
}

/** The unacknowledged ops of a document, oldest first. */
export function queuedOps(doc: Doc): QueuedOp[] {
  const { inflightOp, pendingOps } = internals(doc);
  return [...(inflightOp ? [inflightOp] : []), ...pendingOps];
}

/** The document data of a snapshot as the doc holds it (rich-text keeps a Delta, the wire has its ops). */
export function deserialize(type: OTTypeLike | null | undefined, data: unknown): unknown {
  return type?.deserialize ? type.deserialize(data) : data;
}

/** Calls every callback with `err`; a throwing callback does not stop the others (rethrown on a fresh task). */
export function callEach(callbacks: ReadonlyArray<Callback | null | undefined>, err?: unknown): void {
  for (const callback of callbacks) {
    if (typeof callback !== 'function') continue;
    try {
      callback(err);
    } catch (thrown) {
      setTimeout(() => {
        throw thrown;
      }, 0);
    }
  }
}
