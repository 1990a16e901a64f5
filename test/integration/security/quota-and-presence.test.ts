import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcordError } from '@concord/shared';
import type { Authenticator } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { call, connectStock, create, subscribe, type StockClient } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';

const tokenAuth: Authenticator = {
  required: true,
  authenticate: ({ token }) => {
    const sub = /^user:(\w+)$/.exec(token ?? '')?.[1];
    return sub ? Promise.resolve({ sub, name: `User ${sub}`, roles: [] }) : Promise.reject(new ConcordError('ERR_UNAUTHENTICATED', 'bad token'));
  },
};

describe('per-user document quota and presence hygiene', () => {
  let server: TestServer;
  const clients: StockClient[] = [];
  const connect = async (sub: string) => {
    const client = await connectStock(server.wsUrl, { headers: { authorization: `Bearer user:${sub}` } });
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    server = await startTestServer({ auth: tokenAuth, quotas: { notes: 2 } });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server.close();
  });

  it('refuses a create beyond the quota with ERR_QUOTA_EXCEEDED, per user', async () => {
    const alice = await connect('alice');
    await create(alice.connection.get('notes', 'a1'), {}, 'json0');
    await create(alice.connection.get('notes', 'a2'), {}, 'json0');
    const third = alice.connection.get('notes', 'a3');
    third.on('error', () => undefined);
    await expect(create(third, {}, 'json0')).rejects.toMatchObject({ code: 'ERR_QUOTA_EXCEEDED' });
    // Another user has a quota of their own, and other collections are not limited.
    const bob = await connect('bob');
    await create(bob.connection.get('notes', 'b1'), {}, 'json0');
    await create(alice.connection.get('other', 'x1'), {}, 'json0');
  });

  it('refuses presence with prototype keys or oversize, and stamps the sender over a spoofed user', async () => {
    const carol = await connect('carol');
    const dave = await connect('dave');
    await create(carol.connection.get('pads', 'p'), 'hello', 'text-unicode');
    await subscribe(dave.connection.get('pads', 'p')); // doc presence is shown against a loaded document
    const watched = dave.connection.getDocPresence('pads', 'p');
    await call((cb) => watched.subscribe(cb));
    await subscribe(carol.connection.get('pads', 'p'));
    const mine = carol.connection.getDocPresence('pads', 'p');
    await call((cb) => mine.subscribe(cb));
    const local = mine.create('cursor');
    const polluted = JSON.parse('{"index":1,"length":0,"__proto__":{"polluted":true}}') as object;
    await expect(call((cb) => local.submit(polluted as never, cb))).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    await expect(call((cb) => local.submit({ index: 1, length: 0, blob: 'x'.repeat(20_000) } as never, cb))).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    await call((cb) => local.submit({ index: 2, length: 1, user: { sub: 'dave', name: 'Not Carol' } } as never, cb));
    const seen = await waitFor('carol\'s cursor at dave', () => Object.values(watched.remotePresences)[0] as { index: number; user: { sub: string; name: string } } | undefined);
    expect(seen.user).toEqual({ sub: 'carol', name: 'User carol' });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('the quota of every collection ("*")', () => {
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.close();
  });

  it('also holds for collections named like Object.prototype\'s properties, which are refused as names', async () => {
    server = await startTestServer({ auth: tokenAuth, quotas: { '*': 1 } });
    const create = (collection: string, id: string) => fetch(`${server!.httpUrl}/api/docs/${collection}/${id}`, {
      method: 'POST', headers: { authorization: 'Bearer user:erin', 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'json0', data: {} }),
    });
    expect((await create('notes', 'e1')).status).toBe(201);
    expect((await create('notes', 'e2')).status).toBe(403);
    // quotas['toString'] was Object.prototype.toString: no number, so no limit at all.
    const statuses: number[] = [];
    for (const id of ['e1', 'e2', 'e3']) statuses.push((await create('toString', id)).status);
    expect(statuses).toEqual([400, 400, 400]);
  });
});
