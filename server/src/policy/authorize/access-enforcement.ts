/**
 * The authorization checks the engine itself does not make, registered as ShareDB middleware next to the engine's
 * own (which checks submits, snapshot reads of every kind, and presence a client sends):
 * - `op`: every op sent to a client (subscription fan-out, catch-up, history) needs `read`. An op for a document
 *   the subscriber may no longer read is not sent; the subscription ends and the client gets one
 *   `{a:"op", error: ERR_FORBIDDEN}` for the document (its Doc emits 'error').
 * - `sendPresence`: a client receives presence only on documents it may read.
 * - `query`: with a QueryScopedAuthorizer, a principal's queries are restricted to the ids it may read, so
 *   denied documents are left out of results instead of failing the whole query.
 * - `apply`: a submit transformed over ops the submitter may not read is refused before it is stored; re-creating
 *   a deleted document takes whoever may purge it.
 * - `afterWrite`: the creator of a document becomes its owner, with no grants.
 */
import type ShareDB from 'sharedb';
import { ConcordError } from '@concord/shared';
import { onDecision, type Authorizer } from '../../engine/policies.js';
import { ANONYMOUS, type Principal } from '../../engine/principal.js';
import { sessionOf, use, type EngineAgent, type OpContext } from '../../engine/middleware.js';
import { DocMap } from '../../storage/doc-map.js';
import type { AccessStore } from '../../storage/access/access-store.js';
import { isQueryScoped } from './rule-authorizer.js';
import { splitPresenceChannel } from '../presence-policy.js';

/** How long a connection's permission to read a document is taken as given for op fan-out. */
const READ_MEMO_MS = 250;

export interface AccessEnforcementOptions {
  readonly authorizer: Authorizer;
  /** Where owners are recorded; without it, creators are not recorded as owners. */
  readonly access?: AccessStore;
}

/** The agent's internals used to end a subscription ShareDB itself would keep. */
interface AgentInternals {
  subscribedDocs?: Record<string, Record<string, { destroy(): void } | undefined> | undefined>;
  send(message: object): void;
}

export function installAccessEnforcement(backend: ShareDB, options: AccessEnforcementOptions): void {
  const { authorizer, access } = options;
  const principalOf = (agent: EngineAgent): Principal => sessionOf(agent)?.principal ?? ANONYMOUS;

  // Every op sent to every subscriber needs `read`: on a hot document that is one decision per recipient per op.
  // A positive decision is remembered per connection for READ_MEMO_MS, so fan-out asks the authorizer a few times a
  // second per subscriber instead of once per op. A change of owner or grants made here invalidates every remembered
  // decision at once; one made by another process is seen within READ_MEMO_MS plus the access cache's TTL.
  const memo = new WeakMap<EngineAgent, DocMap<{ until: number; generation: number }>>();
  const generation = (): number => (access as { generation?: number } | undefined)?.generation ?? 0;
  const remembered = (agent: EngineAgent, collection: string, id: string): boolean => {
    const decision = memo.get(agent)?.get(collection, id);
    return decision !== undefined && decision.until > Date.now() && decision.generation === generation();
  };
  // Synchronous when the authorizer decides at once: a promise would hold this recipient's copy of the op (and, by
  // the in-order fan-out, its later ones) until the fan-out of everything being sent at the time is done.
  const mayRead = (agent: EngineAgent, collection: string, id: string): boolean | Promise<boolean> => {
    if (remembered(agent, collection, id)) return true;
    return onDecision(authorizer.authorize({ principal: principalOf(agent), action: 'read', collection, id }), (allowed) => {
      if (allowed) {
        const decisions = memo.get(agent) ?? memo.set(agent, new DocMap(10_000)).get(agent)!;
        decisions.set(collection, id, { until: Date.now() + READ_MEMO_MS, generation: generation() });
      }
      return allowed;
    });
  };
  use(backend, 'op', ({ agent, collection, id, op }) => {
    // The create op reaches the creator's other subscriptions before afterWrite records the owner.
    if (op.create && op.m?.user === principalOf(agent).sub) return;
    return onDecision(mayRead(agent, collection, id), (allowed) => {
      if (allowed) return;
      endSubscription(agent, collection, id);
      throw new ConcordError('ERR_FORBIDDEN', `read not allowed on ${collection}/${id}`);
    });
  });

  // A submit made at an older version is transformed over the ops committed since, and ShareDB sends those ops to
  // the submitter with the ack. One who may write but not read would have the op committed and then the reply
  // refused by the check above, so its client would roll back an edit the document kept. Such a submit is refused
  // before anything is stored: without `read`, only a submit at the current version goes through.
  use(backend, 'apply', ({ agent, collection, id, ops }) => {
    if (ops.length === 0) return;
    return onDecision(mayRead(agent, collection, id), (allowed) => {
      if (!allowed) throw new ConcordError('ERR_FORBIDDEN', `the document changed since the version the op was made at, and read is not allowed on ${collection}/${id} (submit at its current version)`);
    });
  });

  use(backend, 'sendPresence', ({ agent, presence }) => {
    const [collection, id] = splitPresenceChannel(presence.ch);
    return onDecision(authorizer.authorize({ principal: principalOf(agent), action: 'read', collection, id }), (allowed) => {
      if (!allowed) throw new ConcordError('ERR_FORBIDDEN', 'presence not sent: read not allowed');
    });
  });

  if (isQueryScoped(authorizer)) {
    use(backend, 'query', async (request) => {
      const ids = await authorizer.readableIds(principalOf(request.agent), request.collection);
      if (ids !== undefined) request.query = restrictToIds(request.query as Record<string, unknown>, ids);
    });
  }

  if (access) {
    // A deleted document keeps its owner and grants (and its history, readable by them) until it is purged. A create
    // makes its author the owner, so re-creating a deleted id takes whoever may purge it (its owner, an admin):
    // anyone else would become the owner of the earlier document's history. An id that is in use never gets here
    // (ShareDB answers ERR_DOC_ALREADY_CREATED first).
    use(backend, 'apply', async ({ agent, collection, id, op }) => {
      if (!op.create) return;
      const principal = principalOf(agent);
      const { owner, grants } = await access.get(collection, id);
      if (owner === principal.sub || (owner === null && grants.length === 0)) return;
      if (await authorizer.authorize({ principal, action: 'purge', collection, id })) return;
      throw new ConcordError('ERR_FORBIDDEN', `${collection}/${id} is a deleted document of another user: only its owner or an admin may create it again (or purge it first)`);
    });
    // Synchronous for every op but a create: a promise here would hold the submitter's ack until ShareDB's
    // process.nextTick chain has run dry, that is, until the op has been sent to every other subscriber.
    use(backend, 'afterWrite', ({ agent, collection, id, op }) =>
      op.create ? access.recordCreated(collection, id, principalOf(agent).sub) : undefined);
  }
}

/** `query` and `_id` in `ids`: the `$and` keeps any `_id` condition (and `$sort` / `$limit`) of the query intact. */
function restrictToIds(query: Record<string, unknown>, ids: readonly string[]): Record<string, unknown> {
  const and = Array.isArray(query['$and']) ? query['$and'] as unknown[] : [];
  return { ...query, $and: [...and, { _id: { $in: [...ids] } }] };
}

/** Stops a subscription of an agent that lost read access, and tells the client once. */
function endSubscription(agent: EngineAgent, collection: string, id: string): void {
  const internals = agent as unknown as AgentInternals;
  const stream = internals.subscribedDocs?.[collection]?.[id];
  if (!stream) return;
  stream.destroy();
  const error = new ConcordError('ERR_FORBIDDEN', `read access to ${collection}/${id} was withdrawn; the subscription ended`);
  internals.send({ a: 'op', c: collection, d: id, error: error.toJSON() });
}
