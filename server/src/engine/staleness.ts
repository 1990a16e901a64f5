/**
 * Bounds on how stale a submitted op may be. Transforming an op costs one transform per op committed since its
 * version, and ShareDB sends each of those ops back to the submitter; a client repeating ops at one old version
 * makes that cost quadratic and can stall the process. A stock client never does that: it has one op in flight, and
 * sends the next only after the ack, at the version after it. So:
 * - a second op while one of the same connection on the same document is still in flight, or an op older than the
 *   version of the connection's own previous op on the document, is refused (ERR_OP_INVALID);
 * - an op more than `maxBehind` versions behind is answered ERR_HISTORY_PRUNED, which the client package recovers
 *   from by rebasing the edit onto the current document (three-way merge for text, a conflict event for JSON).
 */
import { ConcordError } from '@concord/shared';
import type { EngineAgent, SubmitContext } from './middleware.js';
import { DocMap } from '../storage/doc-map.js';

/** Transforms one submit may need at most. */
export const DEFAULT_MAX_VERSIONS_BEHIND = 10_000;

interface Tracked {
  /** Per document: the version this connection's last op on it was committed at. */
  concordLastCommitted?: DocMap<number>;
  /** The documents this connection has a submit in flight on. */
  concordInFlight?: DocMap<true>;
}

/** Documents remembered per connection; a connection editing more starts over (only the version check forgets). */
const MAX_TRACKED = 10_000;

/** The in-flight marker a submit holds, by its op object (the one ShareDB's submit callback is given back). */
const held = new WeakMap<object, { agent: EngineAgent; collection: string; id: string }>();

export function checkStaleness(request: SubmitContext): void {
  const { op, collection, id, agent } = request;
  const custom = agent.custom as Tracked;
  if (agent.stream.isServer !== true) {
    const inFlight = (custom.concordInFlight ??= new DocMap());
    if (inFlight.get(collection, id)) throw new ConcordError('ERR_OP_INVALID', 'one op at a time per document: wait for the ack of the previous one');
    inFlight.set(collection, id, true);
    held.set(op, { agent, collection, id });
  }
  if (op.create || typeof op.v !== 'number') return;
  const last = custom.concordLastCommitted?.get(collection, id);
  if (last !== undefined && op.v <= last) {
    throw new ConcordError('ERR_OP_INVALID', `an op at version ${op.v} is older than this connection's previous op (committed at ${last})`);
  }
}

/** Releases the in-flight marker of a finished submit (committed or not). */
export function submitFinished(op: object): void {
  const entry = held.get(op);
  if (!entry) return;
  held.delete(op);
  (entry.agent.custom as Tracked).concordInFlight?.delete(entry.collection, entry.id);
}

export function noteCommitted(request: SubmitContext): void {
  const custom = request.agent.custom as Tracked;
  (custom.concordLastCommitted ??= new DocMap(MAX_TRACKED)).set(request.collection, request.id, request.op.v);
}
