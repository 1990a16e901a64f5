import { ConcordError } from '@concord/shared';
import type { EngineAgent } from './middleware.js';
import type { EngineLimits } from './engine.js';

interface AgentSubscriptions {
  subscribedDocs: Record<string, Record<string, unknown>>;
  subscribedQueries: Record<string, unknown>;
}

/** Bounds what one message may ask for: bulk sizes and the subscriptions one connection holds. */
export function checkRequestSize(agent: EngineAgent, data: Record<string, unknown>, limits: EngineLimits): void {
  const action = data['a'];
  if (action === 'bf' || action === 'bs' || action === 'bu') {
    const bulk = data['b'];
    const size = Array.isArray(bulk) ? bulk.length : bulk !== null && typeof bulk === 'object' ? Object.keys(bulk).length : 0;
    if (size > limits.maxBulkSize) {
      throw new ConcordError('ERR_BAD_REQUEST', `a bulk request may name at most ${limits.maxBulkSize} documents`);
    }
  }
  if (action === 's' || action === 'bs' || action === 'qs') {
    const { subscribedDocs, subscribedQueries } = agent as unknown as AgentSubscriptions;
    let count = Object.keys(subscribedQueries).length;
    for (const docs of Object.values(subscribedDocs)) count += Object.keys(docs).length;
    if (count >= limits.maxSubscriptions) {
      throw new ConcordError('ERR_BAD_REQUEST', `a connection may hold at most ${limits.maxSubscriptions} subscriptions`);
    }
  }
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
  const seq = data['seq'];
  if (action === 'op' && seq != null && !(Number.isSafeInteger(seq) && (seq as number) >= 0)) {
    throw new ConcordError('ERR_MESSAGE_BADLY_FORMED', 'an op seq must be a whole number from 0 up');
  }
}
