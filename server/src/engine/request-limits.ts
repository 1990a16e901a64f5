import { ConcordError, shortTypeName } from '@concord/shared';
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

/**
 * A create names one of the four types (by short name or URI), answered ERR_UNKNOWN_TYPE otherwise, as over REST.
 * (ShareDB itself would answer ERR_OT_OP_BADLY_FORMED, "Missing create type": it drops an unknown type first.)
 */
export function checkCreateType(data: Record<string, unknown>): void {
  if (data['a'] !== 'op') return;
  const create = data['create'];
  if (create === null || typeof create !== 'object') return;
  const type = (create as { type?: unknown }).type;
  if (typeof type === 'string' && shortTypeName(type) === undefined) {
    throw new ConcordError('ERR_UNKNOWN_TYPE', 'type must be json0, json1, rich-text or text-unicode');
  }
}
