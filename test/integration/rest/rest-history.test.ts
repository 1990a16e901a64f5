/**
 * The history routes of the contract over real HTTP: reading ops with paging, and submitting ops (late ops
 * transformed, idempotent retries).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Doc } from 'sharedb/lib/client/index.js';
import { call } from '../../helpers/stock-client.js';
import { expectError, history, useRestServer, type Reply } from './rest-helpers.js';

describe('REST API: history', () => {
  const api = useRestServer();
  const req = (...args: Parameters<typeof api.req>): Promise<Reply> => api.req(...args);

  describe('GET /api/docs/:collection/:id/ops', () => {
    const path = '/api/docs/logs/long';
    const OPS = 1005;

    beforeAll(async () => {
      // 1005 ops quickly, through a server-side connection (no HTTP round trip per op).
      const connection = api.server.collab.engine.connect();
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
      // A retry made after reading the document again, at its current version: still the same request.
      const reread = await req('POST', `${path}/ops`, { v: 3, op: ['A'] }, headers);
      expect(reread.body).toEqual({ v: 2 });
      expect((await req('GET', path)).body).toEqual({ v: 3, type: 'text-unicode', data: 'AB' });
      // A different key is a different request.
      expect((await req('POST', `${path}/ops`, { v: 3, op: [2, 'C'] }, { 'Idempotency-Key': 'other-key' })).body).toEqual({ v: 4 });
      expect((await req('GET', path)).body).toEqual({ v: 4, type: 'text-unicode', data: 'ABC' });
      expect(history(await req('GET', `${path}/ops`)).ops).toHaveLength(4);
    });

    it('answers a retry with the version after the first application, also when that op was transformed', async () => {
      const path = '/api/docs/edits/idempotent-moved';
      await req('POST', path, { type: 'text-unicode', data: '' });
      expect((await req('POST', `${path}/ops`, { v: 1, op: ['x'] })).body).toEqual({ v: 2 });
      const headers = { 'Idempotency-Key': 'late-7f3b' };
      // Made at v1, applied at v2 (after x): the version after it is 3.
      expect((await req('POST', `${path}/ops`, { v: 1, op: ['A'] }, headers)).body).toEqual({ v: 3 });
      expect((await req('POST', `${path}/ops`, { v: 1, op: ['A'] }, headers)).body).toEqual({ v: 3 });
      expect((await req('GET', path)).body).toEqual({ v: 3, type: 'text-unicode', data: 'Ax' });
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
      for (const v of ['1', 1.5, -1, null, true]) expectError(await req('POST', `${path}/ops`, { v, op: ['x'] }), 400, 'ERR_BAD_REQUEST');
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
});
