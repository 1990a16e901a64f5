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
