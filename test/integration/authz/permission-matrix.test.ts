/**
 * Principal × action × path over real sockets and REST with JWTs and a rules config. On `notes/shared`, alice is the
 * owner (she created it), bob has a write grant, rita a read grant, mallory (role user) nothing, root is admin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Doc } from 'sharedb/lib/client/index.js';
import { createJwtAuthenticator } from '@concord/server';
import { typeUri } from '@concord/shared';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import type { StockClient } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';
import { blindDoc, cb, connectAs, outcome, RULES, SECRET, token } from './authz-helpers.js';

const TEXT = typeUri('text-unicode');
const PEOPLE = { alice: ['user'], bob: ['user'], rita: ['user'], mallory: ['user'], root: ['admin'] } as const;
type Who = keyof typeof PEOPLE;
const EVERYONE = Object.keys(PEOPLE) as Who[];

let server: TestServer;
const clients = {} as Record<Who, StockClient>;

async function rest(who: Who, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${server.httpUrl}/api/docs/${path}`, {
    method,
    headers: { Authorization: `Bearer ${await token(who, [...PEOPLE[who]])}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

/** Expected outcome per principal: ok, or the error code. */
function expectMatrix(results: Record<Who, string>, allowed: Who[], denied = 'ERR_FORBIDDEN'): void {
  const expected = Object.fromEntries(EVERYONE.map((who) => [who, allowed.includes(who) ? 'ok' : denied]));
  expect(results).toEqual(expected);
}

async function each(fn: (who: Who) => Promise<unknown>): Promise<Record<Who, string>> {
  const entries = await Promise.all(EVERYONE.map(async (who) => [who, await outcome(() => fn(who))] as const));
  return Object.fromEntries(entries) as Record<Who, string>;
}

beforeAll(async () => {
  server = await startTestServer({ auth: createJwtAuthenticator({ secret: SECRET }), rules: RULES });
  for (const who of EVERYONE) clients[who] = await connectAs(server.wsUrl, who, [...PEOPLE[who]]);
  const shared = clients.alice.connection.get('notes', 'shared');
  await cb((done) => shared.create({ title: 'plan', n: 0 }, 'json0', done));
  await cb((done) => shared.submitOp([{ p: ['n'], na: 1 }], {}, done as never));
  await cb((done) => clients.alice.connection.get('notes', 'pad').create('hello', TEXT, done));
  await rest('alice', 'PUT', 'notes/pad/acl', { grants: [{ sub: 'bob', access: 'write' }, { sub: 'rita', access: 'read' }] });
  await cb((done) => clients.mallory.connection.get('notes', 'mine').create({ title: 'mallory' }, 'json0', done));
  expect((await rest('alice', 'PUT', 'notes/shared/acl', {
    grants: [{ sub: 'bob', access: 'write' }, { sub: 'rita', access: 'read' }],
  })).status).toBe(200);
});

afterAll(async () => {
  for (const who of EVERYONE) clients[who]?.close();
  await server?.close();
});

describe('WebSocket reads', () => {
  it('fetch', async () => {
    expectMatrix(await each((who) => cb((done) => clients[who].connection.get('notes', 'shared').fetch(done))), ['alice', 'bob', 'rita', 'root']);
  });

  it('subscribe', async () => {
    const results = await each(async (who) => {
      const connection = (await connectAs(server.wsUrl, who, [...PEOPLE[who]])).connection;
      try {
        await cb((done) => connection.get('notes', 'shared').subscribe(done));
      } finally {
        connection.close();
      }
    });
    expectMatrix(results, ['alice', 'bob', 'rita', 'root']);
  });

  it('bulk fetch: each document answered on its own', async () => {
    const results = await each(async (who) => {
      const { connection } = await connectAs(server.wsUrl, who, [...PEOPLE[who]]);
      try {
        const bulk = connection as unknown as { startBulk(): void; endBulk(): void };
        bulk.startBulk();
        const shared = cb((done) => connection.get('notes', 'shared').fetch(done));
        const mine = cb((done) => connection.get('notes', 'mine').fetch(done));
        bulk.endBulk();
        const [a, b] = await Promise.all([outcome(() => shared), outcome(() => mine)]);
        if (a !== 'ok' || b !== 'ok') throw Object.assign(new Error(), { code: `${a}/${b}` });
      } finally {
        connection.close();
      }
    });
    expect(results).toEqual({
      alice: 'ok/ERR_FORBIDDEN', bob: 'ok/ERR_FORBIDDEN', rita: 'ok/ERR_FORBIDDEN', mallory: 'ERR_FORBIDDEN/ok', root: 'ok',
    });
  });

  it('query: denied documents are left out, the query does not fail', async () => {
    const ids: Record<string, string[]> = {};
    for (const who of EVERYONE) {
      const results = await cb<Doc[]>((done) => clients[who].connection.createFetchQuery('notes', { $sort: { title: 1 } }, {}, done as never));
      ids[who] = results.map((doc) => doc.id).sort();
    }
    expect(ids).toEqual({ alice: ['pad', 'shared'], bob: ['pad', 'shared'], rita: ['pad', 'shared'], mallory: ['mine'], root: ['mine', 'pad', 'shared'] });
  });

  it('query subscription: the same filter', async () => {
    const results = await cb<Doc[]>((done) => clients.bob.connection.createSubscribeQuery('notes', {}, {}, done as never));
    expect(results.map((doc) => doc.id).sort()).toEqual(['pad', 'shared']);
  });

  it('history by version and by time', async () => {
    expectMatrix(await each((who) => cb((done) => clients[who].connection.fetchSnapshot('notes', 'shared', 1, done as never))),
      ['alice', 'bob', 'rita', 'root']);
    expectMatrix(await each((who) => cb((done) => clients[who].connection.fetchSnapshotByTimestamp('notes', 'shared', Date.now(), done as never))),
      ['alice', 'bob', 'rita', 'root']);
  });
});

describe('WebSocket writes', () => {
  it('create: by role (user, admin); a principal without it is refused', async () => {
    const results = await each((who) => cb((done) => clients[who].connection.get('notes', `new-${who}`).create({ by: who }, 'json0', done)));
    expectMatrix(results, EVERYONE);
    const guest = await connectAs(server.wsUrl, 'guest', []);
    const doc = guest.connection.get('notes', 'new-guest');
    doc.on('error', () => undefined); // the client's rollback fetch is refused as well (see blindDoc)
    expect(await outcome(() => cb((done) => doc.create({}, 'json0', done)))).toBe('ERR_FORBIDDEN');
    guest.close();
  });

  it('edit', async () => {
    const { v, data } = (await rest('root', 'GET', 'notes/shared')).json;
    const results = await each(async (who) => {
      const { connection } = await connectAs(server.wsUrl, who, [...PEOPLE[who]]);
      try {
        await cb((done) => blindDoc(connection, 'notes', 'shared', v, data).submitOp([{ p: [`by-${who}`], oi: 1 }], {}, done as never));
      } finally {
        connection.close();
      }
    });
    expectMatrix(results, ['alice', 'bob', 'root']);
  });

  it('delete: owner and admin only (a write grant does not delete)', async () => {
    const results = await each(async (who) => {
      const id = `del-${who}`;
      await cb((done) => clients.alice.connection.get('notes', id).create({}, 'json0', done));
      await rest('alice', 'PUT', `notes/${id}/acl`, { grants: [{ sub: 'bob', access: 'write' }, { sub: 'rita', access: 'read' }] });
      const { connection } = await connectAs(server.wsUrl, who, [...PEOPLE[who]]);
      try {
        await cb((done) => blindDoc(connection, 'notes', id, 1, {}).del(done));
      } finally {
        connection.close();
      }
    });
    expectMatrix(results, ['alice', 'root']);
  });
});

describe('presence', () => {
  it('send: owner, write grant and admin', async () => {
    const results = await each(async (who) => {
      const { connection } = await connectAs(server.wsUrl, who, [...PEOPLE[who]]);
      try {
        blindDoc(connection, 'notes', 'pad', 1, 'hello', TEXT);
        const presence = connection.getDocPresence('notes', 'pad');
        const local = presence.create(`p-${who}`);
        await cb((done) => local.submit({ caret: 1 }, done));
      } finally {
        connection.close();
      }
    });
    expectMatrix(results, ['alice', 'bob', 'root']);
  });

  it('receive: only who may read the document', async () => {
    const received: Record<string, number> = {};
    const listeners = await Promise.all((['bob', 'rita', 'mallory'] as Who[]).map(async (who) => {
      const client = await connectAs(server.wsUrl, who, [...PEOPLE[who]]);
      const presence = client.connection.getDocPresence('notes', 'pad');
      received[who] = 0;
      presence.on('receive', () => void (received[who] = (received[who] ?? 0) + 1));
      await cb((done) => presence.subscribe(done));
      return client;
    }));
    const sender = clients.alice.connection.getDocPresence('notes', 'pad');
    await cb((done) => clients.alice.connection.get('notes', 'pad').subscribe(done));
    await cb((done) => sender.create('alice-caret').submit({ caret: 2 }, done));
    await waitFor('bob and rita to receive', () => received['bob']! > 0 && received['rita']! > 0);
    // The denied side: give mallory's copy as long again as the allowed ones took, then some.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received['mallory']).toBe(0);
    for (const client of listeners) client.close();
  });
});

describe('REST', () => {
  it('GET now, at a version, at a time', async () => {
    for (const query of ['', '?version=1', `?at=${Date.now()}`]) {
      const results = await each(async (who) => {
        const { status, json } = await rest(who, 'GET', `notes/shared${query}`);
        if (status !== 200) throw Object.assign(new Error(), { code: `${status} ${json?.error?.code}` });
      });
      expectMatrix(results, ['alice', 'bob', 'rita', 'root'], '403 ERR_FORBIDDEN');
    }
  });

  it('GET ops', async () => {
    const results = await each(async (who) => {
      const { status, json } = await rest(who, 'GET', 'notes/shared/ops?from=0');
      if (status !== 200) throw Object.assign(new Error(), { code: `${status} ${json?.error?.code}` });
    });
    expectMatrix(results, ['alice', 'bob', 'rita', 'root'], '403 ERR_FORBIDDEN');
  });

  it('POST create, POST ops, DELETE', async () => {
    const created = await each(async (who) => {
      const { status } = await rest(who, 'POST', `notes/rest-${who}`, { type: 'json0', data: {} });
      if (status !== 201) throw Object.assign(new Error(), { code: String(status) });
    });
    expectMatrix(created, EVERYONE);
    const ops = await each(async (who) => {
      const { v } = (await rest('root', 'GET', 'notes/shared')).json;
      const { status } = await rest(who, 'POST', 'notes/shared/ops', { v, op: [{ p: [`rest-${who}`], oi: 1 }] });
      if (status !== 200) throw Object.assign(new Error(), { code: String(status) });
    });
    expectMatrix(ops, ['alice', 'bob', 'root'], '403');
    const deleted = await each(async (who) => {
      await rest('alice', 'POST', `notes/rdel-${who}`, { type: 'json0', data: {} });
      await rest('alice', 'PUT', `notes/rdel-${who}/acl`, { grants: [{ sub: 'bob', access: 'write' }, { sub: 'rita', access: 'read' }] });
      const { status } = await rest(who, 'DELETE', `notes/rdel-${who}`);
      if (status !== 200) throw Object.assign(new Error(), { code: String(status) });
    });
    expectMatrix(deleted, ['alice', 'root'], '403');
  });

  it('acl: owner and admin only; 404 for unknown documents; 400 for bad grant lists', async () => {
    const results = await each(async (who) => {
      const { status } = await rest(who, 'GET', 'notes/shared/acl');
      if (status !== 200) throw Object.assign(new Error(), { code: String(status) });
    });
    expectMatrix(results, ['alice', 'root'], '403');
    expect((await rest('alice', 'GET', 'notes/shared/acl')).json).toEqual({
      grants: [{ sub: 'bob', access: 'write' }, { sub: 'rita', access: 'read' }],
    });
    expect((await rest('bob', 'PUT', 'notes/shared/acl', { grants: [] })).json.error.code).toBe('ERR_FORBIDDEN');
    expect((await rest('root', 'GET', 'notes/never-created/acl')).status).toBe(404);
    expect((await rest('mallory', 'GET', 'notes/never-created/acl')).status).toBe(403);
    for (const body of [{}, { grants: [{ sub: 'x' }] }, { grants: [{ sub: 'x', role: 'y', access: 'read' }] },
      { grants: [{ sub: '', access: 'read' }] }, { grants: [{ role: 'y', access: 'admin' }] }, { grants: 'all' }]) {
      const { status, json } = await rest('alice', 'PUT', 'notes/shared/acl', body);
      expect([status, json.error.code]).toEqual([400, 'ERR_BAD_REQUEST']);
    }
    const put = await rest('root', 'PUT', 'notes/mine-too/acl', { grants: [] });
    expect(put.status).toBe(404);
    await rest('alice', 'POST', 'notes/acl-cycle', { type: 'json0', data: {} });
    expect((await rest('alice', 'PUT', 'notes/acl-cycle/acl', { grants: [{ role: 'team', access: 'read' }] })).json)
      .toEqual({ grants: [{ role: 'team', access: 'read' }] });
    expect((await rest('alice', 'DELETE', 'notes/acl-cycle/acl')).json).toEqual({ grants: [] });
    expect((await rest('alice', 'GET', 'notes/acl-cycle/acl')).json).toEqual({ grants: [] });
  });
});
