/**
 * Two edges of ownership and reading, over real sockets and REST with JWTs:
 * - a deleted document stays its owner's until purged: nobody else can re-create the id and so take its history;
 * - one who may write but not read can only submit at the current version: a submit that would be transformed over
 *   ops it may not read is refused before it is stored, never committed and then answered with an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from 'sharedb/lib/client/index.js';
import { createJwtAuthenticator } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import type { StockClient } from '../../helpers/stock-client.js';
import { blindDoc, cb, connectAs, outcome, SECRET, token } from './authz-helpers.js';

const RULES = {
  collections: {
    '*': { read: ['user'], create: ['user'] },
    notes: { read: [], create: ['user'], presence: [] },
    // A drop box: users may put things in, only the owner (its creator) reads.
    dropbox: { read: [], create: ['user'], write: ['user'] },
    // A post box: users drop a document in and cannot read it back, not even their own.
    postbox: { read: [], create: ['user'], owner: [] },
  },
};
const PEOPLE = { alice: ['user'], bob: ['user'], mallory: ['user'], root: ['admin'] } as const;
type Who = keyof typeof PEOPLE;

let server: TestServer;
const clients = {} as Record<Who, StockClient>;

async function rest(who: Who, method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${server.httpUrl}/api/docs/${path}`, {
    method,
    headers: { Authorization: `Bearer ${await token(who, [...PEOPLE[who]])}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch { /* 204 */ }
  return { status: res.status, json, text };
}

/** Runs `fn` on a connection of `who`'s own (a client that has seen no document yet), then closes it. */
async function withConnection<T>(who: Who, fn: (connection: Connection) => Promise<T>): Promise<T> {
  const { connection } = await connectAs(server.wsUrl, who, [...PEOPLE[who]]);
  try {
    return await fn(connection);
  } finally {
    connection.close();
  }
}

/** Creates `notes/<id>` as `who`; 'ok' or the error code. */
function createAs(who: Who, id: string, data: unknown): Promise<string> {
  return withConnection(who, (connection) => {
    const doc = connection.get('notes', id);
    doc.on('error', () => undefined); // a refused create makes the client fetch again to roll back
    return outcome(() => cb((done) => doc.create(data, 'json0', done)));
  });
}

/** Inserts `item` into `dropbox/box` as `who`, from a client that believes the box empty at version 1. */
function insertAtV1(who: Who, item: string): Promise<string> {
  return withConnection(who, (connection) => outcome(() => cb((done) =>
    blindDoc(connection, 'dropbox', 'box', 1, { items: [] }).submitOp([{ p: ['items', 0], li: item }], {}, done as never))));
}

beforeAll(async () => {
  server = await startTestServer({ auth: createJwtAuthenticator({ secret: SECRET }), rules: RULES });
  for (const who of Object.keys(PEOPLE) as Who[]) clients[who] = await connectAs(server.wsUrl, who, [...PEOPLE[who]]);
});

afterAll(async () => {
  for (const client of Object.values(clients)) client?.close();
  await server?.close();
});

describe('a deleted document stays its owner\'s until purged', () => {
  it('nobody else may create it again, over the WebSocket or REST; its history stays closed to them', async () => {
    expect(await createAs('alice', 'diary', { secret: 'alice-secret-1' })).toBe('ok');
    expect((await rest('alice', 'DELETE', 'notes/diary')).status).toBe(200);

    expect(await createAs('mallory', 'diary', { mine: true })).toBe('ERR_FORBIDDEN');
    const overRest = await rest('mallory', 'POST', 'notes/diary', { type: 'json0', data: { mine: true } });
    expect(overRest.status).toBe(403);
    expect(overRest.json.error.code).toBe('ERR_FORBIDDEN');
    for (const path of ['notes/diary?version=1', 'notes/diary/ops?from=0']) {
      const read = await rest('mallory', 'GET', path);
      expect(read.status).toBe(403);
      expect(read.text).not.toContain('alice-secret-1');
    }
    // Nothing was stored: the owner's history is intact and the document is still deleted.
    expect((await rest('alice', 'GET', 'notes/diary?version=1')).json.data).toEqual({ secret: 'alice-secret-1' });
    expect((await rest('alice', 'GET', 'notes/diary')).status).toBe(404);
  });

  it('its owner and an admin may create it again', async () => {
    expect(await createAs('alice', 'journal', { secret: 'alice-secret-2' })).toBe('ok');
    expect((await rest('alice', 'DELETE', 'notes/journal')).status).toBe(200);
    expect(await createAs('alice', 'journal', { again: true })).toBe('ok');
    expect((await rest('alice', 'GET', 'notes/journal')).json).toMatchObject({ v: 3, data: { again: true } });
    expect((await rest('mallory', 'GET', 'notes/journal?version=1')).status).toBe(403);

    expect((await rest('alice', 'DELETE', 'notes/journal')).status).toBe(200);
    expect(await createAs('root', 'journal', { by: 'admin' })).toBe('ok');
  });

  it('after a purge the id is free: the next creator owns it and finds none of the earlier content', async () => {
    expect(await createAs('alice', 'scratch', { secret: 'alice-secret-3' })).toBe('ok');
    expect((await rest('alice', 'POST', 'notes/scratch/purge')).status).toBe(204);
    expect(await createAs('mallory', 'scratch', { mine: true })).toBe('ok');
    expect((await rest('mallory', 'GET', 'notes/scratch')).json.data).toEqual({ mine: true });
    const past = await rest('mallory', 'GET', 'notes/scratch?version=1');
    expect(past.status).toBe(410);
    expect(past.text).not.toContain('alice-secret-3');
    expect((await rest('alice', 'GET', 'notes/scratch')).status).toBe(403);
  });

  it('creating an id in use still answers ERR_DOC_ALREADY_CREATED, whoever owns it', async () => {
    expect(await createAs('alice', 'taken', { n: 1 })).toBe('ok');
    expect(await createAs('mallory', 'taken', { n: 2 })).toBe('ERR_DOC_ALREADY_CREATED');
  });
});

describe('write without read', () => {
  beforeAll(async () => {
    await cb((done) => clients.alice.connection.get('dropbox', 'box').create({ items: [] }, 'json0', done));
  });

  it('a submit at the current version is applied', async () => {
    expect(await insertAtV1('bob', 'from bob')).toBe('ok');
    expect((await rest('alice', 'GET', 'dropbox/box')).json).toMatchObject({ v: 2, data: { items: ['from bob'] } });
  });

  it('a submit behind it is refused before anything is stored, over the WebSocket and REST', async () => {
    expect(await insertAtV1('bob', 'stale')).toBe('ERR_FORBIDDEN');
    const overRest = await rest('bob', 'POST', 'dropbox/box/ops', { v: 1, op: [{ p: ['items', 0], li: 'stale' }] });
    expect(overRest.status).toBe(403);
    expect(overRest.json.error.code).toBe('ERR_FORBIDDEN');
    // What the refusals said is what happened: the document did not take either op.
    expect((await rest('alice', 'GET', 'dropbox/box')).json).toMatchObject({ v: 2, data: { items: ['from bob'] } });
  });

  it('the owner, who may read, is transformed as usual', async () => {
    expect(await insertAtV1('alice', 'from alice')).toBe('ok');
    expect((await rest('alice', 'GET', 'dropbox/box')).json).toMatchObject({ v: 3, data: { items: ['from alice', 'from bob'] } });
  });
});

describe('create without read', () => {
  it('answers 201 with the state the create made, and the document is there for who may read it', async () => {
    const created = await rest('bob', 'POST', 'postbox/letter', { type: 'rich-text', data: [{ insert: 'dear alice\n' }] });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({ v: 1, type: 'rich-text', data: { ops: [{ insert: 'dear alice\n' }] } });
    expect((await rest('bob', 'GET', 'postbox/letter')).status).toBe(403);
    expect((await rest('root', 'GET', 'postbox/letter')).json).toEqual(created.json);
  });
});
