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

/** Transforms one submit may need at most. */
export const DEFAULT_MAX_VERSIONS_BEHIND = 10_000;

interface Tracked {
  /** Per `collection\nid`: the version this connection's last op on it was committed at. */
  concordLastCommitted?: Map<string, number>;
  /** `collection\nid` of the documents this connection has a submit in flight on. */
  concordInFlight?: Set<string>;
}

/** The in-flight marker a submit holds, by its op object (the one ShareDB's submit callback is given back). */
const held = new WeakMap<object, { agent: EngineAgent; key: string }>();

export function checkStaleness(request: SubmitContext): void {
  const { op } = request;
  const key = `${request.collection}\n${request.id}`;
  const custom = request.agent.custom as Tracked;
  const inFlight = (custom.concordInFlight ??= new Set());
  if (request.agent.stream.isServer !== true) {
    if (inFlight.has(key)) throw new ConcordError('ERR_OP_INVALID', 'one op at a time per document: wait for the ack of the previous one');
    inFlight.add(key);
    held.set(op, { agent: request.agent, key });
  }
  if (op.create || typeof op.v !== 'number') return;
  const last = trackedOf(request.agent).get(key);
  if (last !== undefined && op.v <= last) {
    throw new ConcordError('ERR_OP_INVALID', `an op at version ${op.v} is older than this connection's previous op (committed at ${last})`);
  }
}

/** Releases the in-flight marker of a finished submit (committed or not). */
export function submitFinished(op: object): void {
  const entry = held.get(op);
  if (!entry) return;
  held.delete(op);
  (entry.agent.custom as Tracked).concordInFlight?.delete(entry.key);
}

export function noteCommitted(request: SubmitContext): void {
  const map = trackedOf(request.agent);
  map.set(`${request.collection}\n${request.id}`, request.op.v);
  // A connection editing very many documents keeps only the most recent entries.
  if (map.size > 10_000) map.delete(map.keys().next().value as string);
}

function trackedOf(agent: EngineAgent): Map<string, number> {
  const custom = agent.custom as Tracked;
  return (custom.concordLastCommitted ??= new Map());
}
