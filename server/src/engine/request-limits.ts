import { ConcordError } from '@concord/shared';
import type { EngineAgent } from './middleware.js';
import type { EngineLimits } from './engine.js';

interface AgentSubscriptions {
  subscribedDocs: Record<string, Record<string, unknown>>;
  subscribedQueries: Record<string, unknown>;
  subscribedPresences: Record<string, unknown>;
  /** The latest presence this connection sent, per channel and presence id (null once withdrawn). */
  presenceRequests: Record<string, Record<string, { p?: unknown } | undefined> | undefined>;
}

/**
 * Bounds what one message may ask for: bulk sizes and the subscriptions one connection holds. Presence counts among
 * these: each presence subscription is a pub/sub stream, and each value shown is kept by the server and by every
 * subscriber until withdrawn. Updating or withdrawing a value already shown always passes.
 */
export function checkRequestSize(agent: EngineAgent, data: Record<string, unknown>, limits: EngineLimits): void {
  const action = data['a'];
  if (action === 'bf' || action === 'bs' || action === 'bu') {
    const bulk = data['b'];
    const size = Array.isArray(bulk) ? bulk.length : bulk !== null && typeof bulk === 'object' ? Object.keys(bulk).length : 0;
    if (size > limits.maxBulkSize) {
      throw new ConcordError('ERR_BAD_REQUEST', `a bulk request may name at most ${limits.maxBulkSize} documents`);
    }
  }
  if (action === 's' || action === 'bs' || action === 'qs' || action === 'ps' || (action === 'p' && showsAnew(agent, data))) {
    if (held(agent as unknown as AgentSubscriptions) >= limits.maxSubscriptions) {
      throw new ConcordError('ERR_BAD_REQUEST', `a connection may hold at most ${limits.maxSubscriptions} subscriptions`);
    }
  }
}

/** A presence message that shows a value under a channel and presence id that show none now. */
function showsAnew(agent: EngineAgent, data: Record<string, unknown>): boolean {
  if (data['p'] === null || typeof data['ch'] !== 'string' || typeof data['id'] !== 'string') return false;
  const shown = (agent as unknown as AgentSubscriptions).presenceRequests[data['ch']];
  const current = shown && Object.prototype.hasOwnProperty.call(shown, data['id']) ? shown[data['id']] : undefined;
  return current?.p == null;
}

/** Subscriptions to documents, queries and presence channels, and presence values shown. */
function held(agent: AgentSubscriptions): number {
  let count = Object.keys(agent.subscribedQueries).length + Object.keys(agent.subscribedPresences).length;
  for (const docs of Object.values(agent.subscribedDocs)) count += Object.keys(docs).length;
  for (const values of Object.values(agent.presenceRequests)) {
    for (const value of Object.values(values ?? {})) if (value?.p != null) count++;
  }
  return count;
}

const PRESENCE_ACTIONS: ReadonlySet<unknown> = new Set(['p', 'ps', 'pu', 'pr']);

/**
 * Fields ShareDB leaves unchecked and then trips over: a presence message without a channel (`ch`) answered with
 * its own TypeError, and an op `seq` that is not a whole number, which its duplicate detection compares exactly
 * (1.5 was committed; 1e300 ran into ShareDB's own overflow check).
 */
export function checkRequestFields(data: Record<string, unknown>): void {
  const action = data['a'];
  if (PRESENCE_ACTIONS.has(action) && typeof data['ch'] !== 'string') {
    throw new ConcordError('ERR_MESSAGE_BADLY_FORMED', 'a presence message needs its channel (ch) as a string');
  }
  if (action === 'op') checkOpFields(data);
}

/**
 * An op message's shape. Besides `seq` (above), these are the checks ShareDB's agent makes before its submit (same
 * code, ERR_MESSAGE_BADLY_FORMED); made here, the refusal is the engine's, and counted and logged as a rejected op.
 */
function checkOpFields(data: Record<string, unknown>): void {
  const { c: collection, d: id, v, seq } = data;
  if (seq != null && !(Number.isSafeInteger(seq) && (seq as number) >= 0)) {
    throw new ConcordError('ERR_MESSAGE_BADLY_FORMED', 'an op seq must be a whole number from 0 up');
  }
  if (typeof collection !== 'string' || typeof id !== 'string') {
    throw new ConcordError('ERR_MESSAGE_BADLY_FORMED', 'an op names its collection (c) and document (d) as strings');
  }
  // ShareDB refuses these ids ("Invalid id"); no document can have one, as creates are checked by name.
  if (Object.prototype.hasOwnProperty.call(Object.prototype, id)) {
    throw new ConcordError('ERR_INVALID_NAME', `an op may not name a document ${id}`);
  }
  if (v != null && !(typeof v === 'number' && v >= 0)) {
    throw new ConcordError('ERR_MESSAGE_BADLY_FORMED', 'an op version (v) must be a number from 0 up');
  }
  // `op: null` is an edit (json1's no-op), as ShareDB reads it.
  if (!('op' in data) && !data['create'] && !data['del']) {
    throw new ConcordError('ERR_MESSAGE_BADLY_FORMED', 'an op message carries op, create or del');
  }
}
