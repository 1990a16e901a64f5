/**
 * Middleware answers synchronously when nothing has to be looked up. A middleware that returns a promise resumes
 * only once Node's process.nextTick queue is empty, and ShareDB sends ops out through that queue, so a needless
 * promise makes a presence message or a submit wait for every op being fanned out at the time.
 */
import { describe, expect, it } from 'vitest';
import { ANONYMOUS } from '../../../server/dist/engine/principal.js';
import type { Authorizer } from '../../../server/dist/engine/policies.js';
import { admitPresence } from '../../../server/dist/policy/presence-policy.js';
import { installQuotas } from '../../../server/dist/policy/quota.js';
import { installAccessEnforcement } from '../../../server/dist/policy/authorize/access-enforcement.js';
import type { AccessStore } from '../../../server/dist/storage/access/access-store.js';

type Next = (err?: unknown) => void;
type Middleware = (context: Record<string, unknown>, next: Next) => void;

/** A stand-in backend that keeps the middleware registered on it. */
function fakeBackend() {
  const middleware: Record<string, Middleware[]> = {};
  const backend = { use: (action: string, fn: Middleware) => void (middleware[action] ??= []).push(fn) };
  /** Runs the one middleware of `action`; `settledAtOnce` tells whether it called next before returning. */
  const run = (action: string, context: Record<string, unknown>) => {
    let settled: { err: unknown } | undefined;
    const done = new Promise<unknown>((resolve) => middleware[action]![0]!(context, (err) => {
      settled = { err };
      resolve(err);
    }));
    return { settledAtOnce: settled !== undefined, done };
  };
  return { backend, run };
}

const allow: Authorizer = { authorize: () => true };
const deny: Authorizer = { authorize: () => false };
const allowLater: Authorizer = { authorize: () => Promise.resolve(true) };
const agent = { custom: { session: { principal: { sub: 'ana', roles: [] } } } };

describe('decisions that need no lookup are synchronous', () => {
  it('admits presence at once with a synchronous authorizer, and after it with an asynchronous one', async () => {
    const presence = { ch: 'notes.a', id: 'p1', p: { index: 1 }, seq: 1 };
    expect(admitPresence(presence as never, ANONYMOUS, allow)).toBeUndefined();
    expect(presence.p).toEqual({ index: 1, user: { sub: ANONYMOUS.sub } });
    expect(() => admitPresence({ ...presence } as never, ANONYMOUS, deny)).toThrow(/presence not allowed/);
    const later = { ...presence, p: { index: 2 } };
    const admitted = admitPresence(later as never, ANONYMOUS, allowLater);
    expect(admitted).toBeInstanceOf(Promise);
    await admitted;
    expect(later.p).toEqual({ index: 2, user: { sub: ANONYMOUS.sub } });
  });

  it('sends presence to a subscriber at once when the read decision is synchronous', async () => {
    const { backend, run } = fakeBackend();
    installAccessEnforcement(backend as never, { authorizer: allow });
    const sent = run('sendPresence', { agent, presence: { ch: 'notes.a', id: 'p1', p: null } });
    expect(sent.settledAtOnce).toBe(true);
    expect(await sent.done).toBeUndefined();

    const refusing = fakeBackend();
    installAccessEnforcement(refusing.backend as never, { authorizer: deny });
    const refused = refusing.run('sendPresence', { agent, presence: { ch: 'notes.a', id: 'p1', p: null } });
    expect(refused.settledAtOnce).toBe(true);
    expect(await refused.done).toMatchObject({ code: 'ERR_FORBIDDEN' });
  });

  it('lets an op out to a subscriber at once when the read decision is synchronous, remembered or not', async () => {
    const { backend, run } = fakeBackend();
    installAccessEnforcement(backend as never, { authorizer: allow });
    const op = { v: 4, op: [] };
    for (const attempt of ['first', 'remembered']) {
      const delivered = run('op', { agent, collection: 'notes', id: 'a', op });
      expect(delivered.settledAtOnce, attempt).toBe(true);
      expect(await delivered.done).toBeUndefined();
    }

    const refusing = fakeBackend();
    installAccessEnforcement(refusing.backend as never, { authorizer: deny });
    const destroyed: string[] = [];
    const sent: unknown[] = [];
    const subscriber = {
      ...agent,
      subscribedDocs: { notes: { a: { destroy: () => void destroyed.push('notes/a') } } },
      send: (message: unknown) => void sent.push(message),
    };
    const refused = refusing.run('op', { agent: subscriber, collection: 'notes', id: 'a', op });
    expect(refused.settledAtOnce).toBe(true);
    expect(await refused.done).toMatchObject({ code: 'ERR_FORBIDDEN' });
    expect(destroyed).toEqual(['notes/a']);
    expect(sent).toMatchObject([{ a: 'op', c: 'notes', d: 'a', error: { code: 'ERR_FORBIDDEN' } }]);

    const later = fakeBackend();
    installAccessEnforcement(later.backend as never, { authorizer: allowLater });
    const waited = later.run('op', { agent, collection: 'notes', id: 'a', op });
    expect(waited.settledAtOnce).toBe(false);
    expect(await waited.done).toBeUndefined();
  });

  it('checks a quota only for a create: other submits pass at once', async () => {
    const { backend, run } = fakeBackend();
    const access = { idsOwnedBy: () => Promise.resolve(['x', 'y']) } as unknown as AccessStore;
    installQuotas(backend as never, access, { notes: 2 });
    const edit = run('submit', { agent, collection: 'notes', id: 'a', op: { v: 3, op: [] } });
    expect(edit.settledAtOnce).toBe(true);
    expect(await edit.done).toBeUndefined();
    const create = run('submit', { agent, collection: 'notes', id: 'b', op: { v: 0, create: { type: 'json1' } } });
    expect(create.settledAtOnce).toBe(false);
    expect(await create.done).toMatchObject({ code: 'ERR_QUOTA_EXCEEDED' });
  });
});
