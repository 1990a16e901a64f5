/**
 * Every REST route of the contract except purge and ACLs, over real HTTP (library in Express, port 0): status codes,
 * bodies, history paging, transformation of late ops, idempotent retries, and the exact error body shape.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ShareDB from 'sharedb';
import type { Doc } from 'sharedb/lib/client/index.js';
import { createMemoryPubSub, type PubSubAdapter, type Storage } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { call } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';

interface Reply {
  status: number;
  body: unknown;
  headers: Headers;
}

interface HistoryEntry {
  v: number;
  op?: unknown;
  create?: { type: string; data?: unknown };
  del?: true;
  src: string;
  seq: number;
  m: { ts: number; user: string };
}

function http(base: string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(base + path, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text, and the assertions on it will say so
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
}

/** Asserts the contract's error body: exactly `{"error":{"code","message"}}`. */
function expectError(reply: Reply, status: number, code: string): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  const body = reply.body as { error: { code: unknown; message: unknown } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect((body.error.message as string).length).toBeGreaterThan(0);
}

function history(reply: Reply): { ops: HistoryEntry[]; next?: number } {
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body as { ops: HistoryEntry[]; next?: number };
}

describe('REST API', () => {
  let server: TestServer;
  let req: ReturnType<typeof http>;

  beforeAll(async () => {
    server = await startTestServer();
    req = http(server.httpUrl);
  });

  afterAll(async () => {
    await server?.close();
  });

  describe('POST /api/docs/:collection/:id', () => {
    it('creates at v1 and answers 201 {v, type, data}', async () => {
      const reply = await req('POST', '/api/docs/notes/create-1', { type: 'json0', data: { title: 'hi' } });
      expect(reply.status).toBe(201);
      expect(reply.body).toEqual({ v: 1, type: 'json0', data: { title: 'hi' } });
    });

    it('answers 409 ERR_DOC_ALREADY_CREATED on a repeat, leaving the document as it was', async () => {
      await req('POST', '/api/docs/notes/create-2', { type: 'json0', data: { n: 1 } });
      expectError(await req('POST', '/api/docs/notes/create-2', { type: 'json0', data: { n: 2 } }), 409,
        'ERR_DOC_ALREADY_CREATED');
      expect((await req('GET', '/api/docs/notes/create-2')).body).toEqual({ v: 1, type: 'json0', data: { n: 1 } });
    });

    it('answers 400 ERR_UNKNOWN_TYPE for a type outside the four', async () => {
      for (const type of ['ot-text', 'http://sharejs.org/types/JSONv0', 42, undefined]) {
        expectError(await req('POST', '/api/docs/notes/bad-type', { type, data: {} }), 400, 'ERR_UNKNOWN_TYPE');
      }
      expectError(await req('GET', '/api/docs/notes/bad-type'), 404, 'ERR_DOC_NOT_FOUND');
    });

    it('answers 400 ERR_INVALID_NAME for names outside 1-200 of [A-Za-z0-9_.:-]', async () => {
      const bad = ['x'.repeat(201), 'has%20space', 'slash%2Fin', 'caf%C3%A9', 'semi%3Bcolon', 'q%3F'];
      for (const name of bad) {
        expectError(await req('POST', `/api/docs/notes/${name}`, { type: 'json0', data: {} }), 400, 'ERR_INVALID_NAME');
        expectError(await req('POST', `/api/docs/${name}/ok`, { type: 'json0', data: {} }), 400, 'ERR_INVALID_NAME');
        expectError(await req('GET', `/api/docs/notes/${name}`), 400, 'ERR_INVALID_NAME');
      }
      // The edges of what is allowed.
      const longest = 'a'.repeat(200);
      expect((await req('POST', `/api/docs/notes/${longest}`, { type: 'json0', data: {} })).status).toBe(201);
      expect((await req('POST', '/api/docs/n.s:x-1/A_b.c:d-9', { type: 'json0', data: {} })).status).toBe(201);
      expect((await req('GET', '/api/docs/n.s:x-1/A_b.c:d-9')).status).toBe(200);
    });

    it('answers 400 for a body that is not JSON or not an object', async () => {
      expectError(await req('POST', '/api/docs/notes/bad-json', '{"type": "json0",'), 400, 'ERR_BAD_REQUEST');
      expectError(await req('POST', '/api/docs/notes/bad-json', '[1,2]'), 400, 'ERR_BAD_REQUEST');
      expectError(await req('POST', '/api/docs/notes/bad-json', 'null'), 400, 'ERR_BAD_REQUEST');
      expectError(await req('GET', '/api/docs/notes/bad-json'), 404, 'ERR_DOC_NOT_FOUND');
    });

    it('answers 413 ERR_MESSAGE_TOO_BIG for a body over the limit', async () => {
      const data = 'x'.repeat(1_048_576 + 1);
      expectError(await req('POST', '/api/docs/notes/too-big', { type: 'json0', data }), 413, 'ERR_MESSAGE_TOO_BIG');
      expectError(await req('GET', '/api/docs/notes/too-big'), 404, 'ERR_DOC_NOT_FOUND');
    });
  });

  describe('GET /api/docs/:collection/:id', () => {
    it('answers 200 with the current state and 404 ERR_DOC_NOT_FOUND for a document never created', async () => {
      await req('POST', '/api/docs/notes/get-1', { type: 'json0', data: { a: 1 } });
      await req('POST', '/api/docs/notes/get-1/ops', { v: 1, op: [{ p: ['b'], oi: 2 }] });
      const reply = await req('GET', '/api/docs/notes/get-1');
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      expect(reply.body).toEqual({ v: 2, type: 'json0', data: { a: 1, b: 2 } });
      expectError(await req('GET', '/api/docs/notes/never-created'), 404, 'ERR_DOC_NOT_FOUND');
    });

    it('?version=N gives the state at that version', async () => {
      await req('POST', '/api/docs/notes/versions', { type: 'text-unicode', data: '' });
      for (const [v, text] of [[1, 'a'], [2, 'b'], [3, 'c']] as const) {
        expect((await req('POST', '/api/docs/notes/versions/ops', { v, op: v === 1 ? [text] : [v - 1, text] })).body).toEqual({ v: v + 1 });
      }
      expect((await req('GET', '/api/docs/notes/versions')).body).toEqual({ v: 4, type: 'text-unicode', data: 'abc' });
      for (const [v, data] of [[1, ''], [2, 'a'], [3, 'ab'], [4, 'abc']] as const) {
        expect((await req('GET', `/api/docs/notes/versions?version=${v}`)).body).toEqual({ v, type: 'text-unicode', data });
      }
      // Before creation there was no document; past the current version there is none yet.
      expectError(await req('GET', '/api/docs/notes/versions?version=0'), 404, 'ERR_DOC_NOT_FOUND');
      expectError(await req('GET', '/api/docs/notes/versions?version=5'), 400, 'ERR_VERSION_AHEAD');
      expectError(await req('GET', '/api/docs/notes/never-created?version=3'), 404, 'ERR_DOC_NOT_FOUND');
    });

    it('?at=<epoch ms> gives the state at that time', async () => {
      const path = '/api/docs/notes/timeline';
      await req('POST', path, { type: 'json0', data: { step: 0 } });
      for (let step = 1; step <= 3; step++) {
        // Each op in its own millisecond, so that every op's timestamp names exactly one state.
        const { ops } = history(await req('GET', `${path}/ops`));
        const last = ops[ops.length - 1]?.m.ts ?? 0;
        await waitFor('the clock to pass the last op', () => Date.now() > last);
        await req('POST', `${path}/ops`, { v: step, op: [{ p: ['step'], na: 1 }] });
      }
      const { ops } = history(await req('GET', `${path}/ops`));
      expect(ops.map((op) => op.v)).toEqual([0, 1, 2, 3]);
      for (const op of ops) {
        // At the moment op v committed, the document was at version v + 1.
        expect((await req('GET', `${path}?at=${op.m.ts}`)).body).toEqual({ v: op.v + 1, type: 'json0', data: { step: op.v } });
      }
      const createdAt = ops[0]?.m.ts ?? 0;
      expectError(await req('GET', `${path}?at=${createdAt - 1}`), 404, 'ERR_DOC_NOT_FOUND');
      expect((await req('GET', `${path}?at=${Date.now() + 60_000}`)).body).toEqual({ v: 4, type: 'json0', data: { step: 3 } });
    });

    it('answers 400 ERR_BAD_REQUEST for bad query values', async () => {
      await req('POST', '/api/docs/notes/queries', { type: 'json0', data: {} });
      for (const query of ['version=abc', 'version=-1', 'version=1.5', 'version=', 'at=yesterday', 'at=-5', 'version=1&at=1',
        'version=1e3', 'version=99999999999999999999']) {
        expectError(await req('GET', `/api/docs/notes/queries?${query}`), 400, 'ERR_BAD_REQUEST');
      }
    });
  });

  describe('GET /api/docs/:collection/:id/ops', () => {
    const path = '/api/docs/logs/long';
    const OPS = 1005;

    beforeAll(async () => {
      // 1005 ops quickly, through a server-side connection (no HTTP round trip per op).
      const connection = server.collab.engine.connect();
      const doc: Doc = connection.get('logs', 'long');
      doc.preventCompose = true; // one stored op per submit
      await call((cb) => doc.create({ n: 0 }, 'json0', cb));
      await Promise.all(Array.from({ length: OPS }, () => call((cb) => doc.submitOp([{ p: ['n'], na: 1 }], {}, cb))));
      connection.close();
    });

    it('returns each op with v, src, seq, m.ts and m.user', async () => {
      const { ops } = history(await req('GET', `${path}/ops?from=0&to=3`));
      expect(ops.map((op) => op.v)).toEqual([0, 1, 2]);
      expect(ops[0]?.create).toEqual({ type: 'json0', data: { n: 0 } });
      expect(ops[1]?.op).toEqual([{ p: ['n'], na: 1 }]);
      for (const op of ops) {
        expect(typeof op.src).toBe('string');
        expect(op.src.length).toBeGreaterThan(0);
        expect(Number.isSafeInteger(op.seq)).toBe(true);
        expect(Math.abs(op.m.ts - Date.now())).toBeLessThan(10 * 60_000);
        expect(op.m.user).toBe('anonymous');
      }
      // Ops from one connection share its src and count up.
      expect(ops[2]?.src).toBe(ops[1]?.src);
      expect((ops[2]?.seq ?? 0) - (ops[1]?.seq ?? 0)).toBe(1);
    });

    it('treats from as inclusive and to as exclusive', async () => {
      const { ops, next } = history(await req('GET', `${path}/ops?from=10&to=15`));
      expect(ops.map((op) => op.v)).toEqual([10, 11, 12, 13, 14]);
      expect(next).toBeUndefined();
      expect(history(await req('GET', `${path}/ops?from=7&to=7`)).ops).toEqual([]);
      // Past the current version: nothing, not an error.
      expect(history(await req('GET', `${path}/ops?from=5000`)).ops).toEqual([]);
    });

    it('pages at 1000 ops with next', async () => {
      const first = history(await req('GET', `${path}/ops`));
      expect(first.ops).toHaveLength(1000);
      expect(first.ops[0]?.v).toBe(0);
      expect(first.ops[999]?.v).toBe(999);
      expect(first.next).toBe(1000);
      const second = history(await req('GET', `${path}/ops?from=${first.next}`));
      // Versions 0 (create) to 1005: 1006 ops in all.
      expect(second.ops.map((op) => op.v)).toEqual([1000, 1001, 1002, 1003, 1004, 1005]);
      expect(second.next).toBeUndefined();
      // A `to` past the page also pages.
      const bounded = history(await req('GET', `${path}/ops?from=3&to=1500`));
      expect(bounded.ops).toHaveLength(1000);
      expect(bounded.next).toBe(1003);
      // Exactly a page left (versions 6 to 1005), or a `to` right at the page's end: no next page to ask for.
      const lastPage = history(await req('GET', `${path}/ops?from=6`));
      expect(lastPage.ops).toHaveLength(1000);
      expect(lastPage.ops[999]?.v).toBe(1005);
      expect(lastPage.next).toBeUndefined();
      const exact = history(await req('GET', `${path}/ops?from=0&to=1000`));
      expect(exact.ops).toHaveLength(1000);
      expect(exact.next).toBeUndefined();
      const oneMore = history(await req('GET', `${path}/ops?from=0&to=1001`));
      expect(oneMore.ops).toHaveLength(1000);
      expect(oneMore.next).toBe(1000);
      expect((await req('GET', '/api/docs/logs/long')).body).toEqual({ v: OPS + 1, type: 'json0', data: { n: OPS } });
    });

    it('answers 404 for a document never created and 400 for bad ranges', async () => {
      expectError(await req('GET', '/api/docs/logs/never-created/ops'), 404, 'ERR_DOC_NOT_FOUND');
      for (const query of ['from=abc', 'from=-1', 'to=x', 'from=5&to=2']) {
        expectError(await req('GET', `${path}/ops?${query}`), 400, 'ERR_BAD_REQUEST');
      }
    });
  });

  describe('POST /api/docs/:collection/:id/ops', () => {
    it('answers 200 {v} with the version after the op', async () => {
      await req('POST', '/api/docs/edits/simple', { type: 'json0', data: { list: [] } });
      const reply = await req('POST', '/api/docs/edits/simple/ops', { v: 1, op: [{ p: ['list', 0], li: 'x' }] });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ v: 2 });
      expect((await req('GET', '/api/docs/edits/simple')).body).toEqual({ v: 2, type: 'json0', data: { list: ['x'] } });
    });

    it('transforms an op made at an older version: two inserts both made at v1 both land', async () => {
      await req('POST', '/api/docs/edits/concurrent', { type: 'text-unicode', data: 'hello' });
      const first = await req('POST', '/api/docs/edits/concurrent/ops', { v: 1, op: [5, ' world'] });
      const second = await req('POST', '/api/docs/edits/concurrent/ops', { v: 1, op: ['>> '] });
      const third = await req('POST', '/api/docs/edits/concurrent/ops', { v: 1, op: [5, '!'] });
      expect([first.body, second.body, third.body]).toEqual([{ v: 2 }, { v: 3 }, { v: 4 }]);
      const state = (await req('GET', '/api/docs/edits/concurrent')).body as { v: number; data: string };
      expect(state.v).toBe(4);
      // Both inserts at offset 5 land at offset 5 of the original text, in either order; the prefix lands too.
      expect(['>> hello! world', '>> hello world!']).toContain(state.data);
    });

    it('applies a retried request with the same Idempotency-Key once and answers the same v', async () => {
      const path = '/api/docs/edits/idempotent';
      await req('POST', path, { type: 'text-unicode', data: '' });
      const headers = { 'Idempotency-Key': 'retry-me-7f3a' };
      const first = await req('POST', `${path}/ops`, { v: 1, op: ['A'] }, headers);
      expect(first.body).toEqual({ v: 2 });
      // Someone else edits in between; then the retry arrives (same body, same key).
      expect((await req('POST', `${path}/ops`, { v: 2, op: [1, 'B'] })).body).toEqual({ v: 3 });
      const retry = await req('POST', `${path}/ops`, { v: 1, op: ['A'] }, headers);
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual({ v: 2 });
      const again = await req('POST', `${path}/ops`, { v: 1, op: ['A'] }, headers);
      expect(again.body).toEqual({ v: 2 });
      expect((await req('GET', path)).body).toEqual({ v: 3, type: 'text-unicode', data: 'AB' });
      // A different key is a different request.
      expect((await req('POST', `${path}/ops`, { v: 3, op: [2, 'C'] }, { 'Idempotency-Key': 'other-key' })).body).toEqual({ v: 4 });
      expect((await req('GET', path)).body).toEqual({ v: 4, type: 'text-unicode', data: 'ABC' });
      expect(history(await req('GET', `${path}/ops`)).ops).toHaveLength(4);
    });

    it('answers 4xx for ops that cannot apply, leaving the document unchanged', async () => {
      const path = '/api/docs/edits/refused';
      await req('POST', path, { type: 'text-unicode', data: 'abc' });
      expectError(await req('POST', `${path}/ops`, { v: 1, op: [10, 'x'] }), 400, 'ERR_OP_INVALID');
      expectError(await req('POST', `${path}/ops`, { v: 1, op: [0, 'x'] }), 400, 'ERR_OP_INVALID');
      expectError(await req('POST', `${path}/ops`, { v: 1, op: 'not an op' }), 400, 'ERR_OP_INVALID');
      expectError(await req('POST', `${path}/ops`, { v: 7, op: ['x'] }), 400, 'ERR_VERSION_AHEAD');
      expectError(await req('POST', `${path}/ops`, { v: 1 }), 400, 'ERR_BAD_REQUEST');
      expectError(await req('POST', `${path}/ops`, { op: ['x'] }), 400, 'ERR_BAD_REQUEST');
      expectError(await req('POST', `${path}/ops`, { v: 'one', op: ['x'] }), 400, 'ERR_BAD_REQUEST');
      expectError(await req('POST', '/api/docs/edits/never-created/ops', { v: 0, op: ['x'] }), 404, 'ERR_DOC_NOT_FOUND');
      expectError(await req('POST', '/api/docs/edits/never-created/ops', { v: 3, op: ['x'] }), 404, 'ERR_DOC_NOT_FOUND');
      expect((await req('GET', path)).body).toEqual({ v: 1, type: 'text-unicode', data: 'abc' });
      // Malformed ops that must first be transformed over later ops fail in the type's transform: still a 400.
      expect((await req('POST', `${path}/ops`, { v: 1, op: [3, 'd'] })).body).toEqual({ v: 2 });
      expectError(await req('POST', `${path}/ops`, { v: 1, op: [0, 'x'] }), 400, 'ERR_OP_INVALID');
      expectError(await req('POST', `${path}/ops`, { v: 1, op: [{ bogus: 1 }] }), 400, 'ERR_OP_INVALID');
      expectError(await req('POST', `${path}/ops`, { v: 1, op: 'not an op' }), 400, 'ERR_OP_INVALID');
      expect((await req('GET', path)).body).toEqual({ v: 2, type: 'text-unicode', data: 'abcd' });
    });
  });

  describe('DELETE /api/docs/:collection/:id', () => {
    it('answers 200 {v}; the document is then 404 while its history is kept', async () => {
      const path = '/api/docs/trash/doomed';
      await req('POST', path, { type: 'json0', data: { x: 1 } });
      await req('POST', `${path}/ops`, { v: 1, op: [{ p: ['x'], na: 1 }] });
      const reply = await req('DELETE', path);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ v: 3 });
      expectError(await req('GET', path), 404, 'ERR_DOC_NOT_FOUND');
      expectError(await req('DELETE', path), 404, 'ERR_DOC_NOT_FOUND');
      expectError(await req('POST', `${path}/ops`, { v: 3, op: [{ p: ['x'], na: 1 }] }), 404, 'ERR_DOC_NOT_FOUND');
      const { ops } = history(await req('GET', `${path}/ops`));
      expect(ops.map((op) => op.v)).toEqual([0, 1, 2]);
      expect(ops[2]?.del).toBe(true);
      // The past is still readable.
      expect((await req('GET', `${path}?version=2`)).body).toEqual({ v: 2, type: 'json0', data: { x: 2 } });
      expectError(await req('DELETE', '/api/docs/trash/never-created'), 404, 'ERR_DOC_NOT_FOUND');
    });
  });

  describe('each OT type', () => {
    const cases = [
      { type: 'json0', data: { a: 1 }, op: [{ p: ['b'], oi: 2 }], after: { a: 1, b: 2 } },
      { type: 'json1', data: { a: 1 }, op: ['b', { i: 2 }], after: { a: 1, b: 2 } },
      { type: 'rich-text', data: [{ insert: 'hi\n' }], op: [{ retain: 2 }, { insert: '!', attributes: { bold: true } }],
        created: { ops: [{ insert: 'hi\n' }] },
        after: { ops: [{ insert: 'hi' }, { insert: '!', attributes: { bold: true } }, { insert: '\n' }] } },
      { type: 'text-unicode', data: 'héllo 👋', op: [7, '!'], after: 'héllo 👋!' },
    ] as const;

    for (const c of cases) {
      it(`${c.type}: create, op, get`, async () => {
        const path = `/api/docs/types/${c.type}`;
        const created = await req('POST', path, { type: c.type, data: c.data });
        expect(created.status).toBe(201);
        expect(created.body).toEqual({ v: 1, type: c.type, data: 'created' in c ? c.created : c.data });
        expect((await req('POST', `${path}/ops`, { v: 1, op: c.op })).body).toEqual({ v: 2 });
        expect((await req('GET', path)).body).toEqual({ v: 2, type: c.type, data: c.after });
        const { ops } = history(await req('GET', `${path}/ops`));
        expect(ops[0]?.create?.type).toBe(c.type);
      });
    }
  });

  describe('routing', () => {
    it('answers unknown API routes with 404 ERR_NOT_FOUND in the error body', async () => {
      expectError(await req('GET', '/api/nothing-here'), 404, 'ERR_NOT_FOUND');
      expectError(await req('PATCH', '/api/docs/notes/create-1'), 404, 'ERR_NOT_FOUND');
    });
  });
});

describe('health', () => {
  let server: TestServer;
  let storageUp = true;
  let pubsubUp = true;

  beforeAll(async () => {
    // A storage and pub/sub whose probes the test can fail, to see /readyz change.
    const require = createRequire(import.meta.url);
    const MemoryMilestoneDB = require('sharedb/lib/milestone-db/memory') as new () => ShareDB.MilestoneDB;
    const db = new ShareDB.MemoryDB();
    const storage: Storage = {
      kind: 'memory',
      db,
      milestoneDb: new MemoryMilestoneDB(),
      ping: () => (storageUp ? Promise.resolve() : Promise.reject(new Error('down'))),
      close: () => new Promise<void>((resolve) => db.close(() => resolve())),
    };
    const memory = createMemoryPubSub();
    const pubsub: PubSubAdapter = {
      kind: 'memory',
      pubsub: memory.pubsub,
      ping: () => (pubsubUp ? Promise.resolve() : Promise.reject(new Error('down'))),
      close: () => memory.close(),
    };
    server = await startTestServer({ storage, pubsub });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('GET /healthz answers 200 {"status":"ok"}', async () => {
    const reply = await http(server.httpUrl)('GET', '/healthz');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz follows storage and pub/sub', async () => {
    const req = http(server.httpUrl);
    expect(await req('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    pubsubUp = false;
    expect(await req('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'degraded', pubsub: 'down' } });
    storageUp = false;
    expect(await req('GET', '/readyz')).toMatchObject({ status: 503, body: { status: 'unavailable', storage: 'down' } });
    // Liveness does not depend on either.
    expect(await req('GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    storageUp = true;
    pubsubUp = true;
    expect(await req('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});
