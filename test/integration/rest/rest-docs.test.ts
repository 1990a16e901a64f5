/**
 * The document routes of the contract over real HTTP (library in Express, port 0): create, read, delete, each OT
 * type, unknown routes; status codes, bodies and the exact error body shape.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.js';
import { expectError, history, useRestServer, type Reply } from './rest-helpers.js';

describe('REST API: documents', () => {
  const api = useRestServer();
  const req = (...args: Parameters<typeof api.req>): Promise<Reply> => api.req(...args);

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

    it('answers 400 ERR_INVALID_NAME for the names of Object.prototype\'s properties, as the WebSocket does', async () => {
      // ShareDB's agent refuses these as collections and ids ("Invalid id"), so such a document could never be
      // opened over the WebSocket; the in-memory store read them as existing documents of no version (409 for a
      // create of an id never used), and a quota looked up by such a collection name was none at all.
      expect((await req('POST', '/api/docs/protonames/first', { type: 'json0', data: {} })).status).toBe(201);
      for (const name of Object.getOwnPropertyNames(Object.prototype)) {
        expectError(await req('POST', `/api/docs/protonames/${name}`, { type: 'json0', data: {} }), 400, 'ERR_INVALID_NAME');
        expectError(await req('POST', `/api/docs/${name}/x`, { type: 'json0', data: {} }), 400, 'ERR_INVALID_NAME');
        expectError(await req('GET', `/api/docs/protonames/${name}`), 400, 'ERR_INVALID_NAME');
        expectError(await req('POST', `/api/docs/protonames/${name}/ops`, { v: 1, op: [] }), 400, 'ERR_INVALID_NAME');
      }
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

      it(`${c.type}: a malformed op sent against an older version is 400 ERR_OP_INVALID, not transformed`, async () => {
        // The op must be transformed past version 2 before it could be checked against the document; the type
        // libraries throw TypeErrors on such input (a 500 before) or, for rich-text, make an empty op of it.
        const path = `/api/docs/stale/${c.type}`;
        await req('POST', path, { type: c.type, data: c.data });
        expect((await req('POST', `${path}/ops`, { v: 1, op: c.op })).body).toEqual({ v: 2 });
        for (const op of ['garbage', 5, [{ p: ['a', 'k'], si: 5 }]]) {
          expectError(await req('POST', `${path}/ops`, { v: 1, op }), 400, 'ERR_OP_INVALID');
        }
        expect((await req('GET', path)).body).toEqual({ v: 2, type: c.type, data: c.after });
      });
    }

    it('json0: a string insert of a number against an older version is 400 ERR_OP_INVALID (it was a 500)', async () => {
      const path = '/api/docs/stale/json0-text';
      await req('POST', path, { type: 'json0', data: { a: 'xyz' } });
      expect((await req('POST', `${path}/ops`, { v: 1, op: [{ p: ['a', 0], si: 'Q' }] })).body).toEqual({ v: 2 });
      expectError(await req('POST', `${path}/ops`, { v: 1, op: [{ p: ['a', 0], si: 5 }] }), 400, 'ERR_OP_INVALID');
      expect((await req('GET', path)).body).toEqual({ v: 2, type: 'json0', data: { a: 'Qxyz' } });
    });
  });

  describe('routing', () => {
    it('answers unknown API routes with 404 ERR_NOT_FOUND in the error body', async () => {
      expectError(await req('GET', '/api/nothing-here'), 404, 'ERR_NOT_FOUND');
      expectError(await req('PATCH', '/api/docs/notes/create-1'), 404, 'ERR_NOT_FOUND');
    });
  });
});

