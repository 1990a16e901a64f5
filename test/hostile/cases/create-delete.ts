/**
 * Creates and deletes: storage-reserved top-level keys (`_id`, `$…`, dotted) and prototype keys are refused with
 * ERR_OP_INVALID, an unknown type with ERR_UNKNOWN_TYPE (as over REST), a create over an existing document
 * with ERR_DOC_ALREADY_CREATED, a delete by a co-editor who is not the owner with ERR_FORBIDDEN. A refused create
 * leaves no document behind (REST answers 404).
 */
import { http } from '../attacker.js';
import type { HostileCase, HostileContext, Outcome } from '../case.js';

let fresh = 0;

/** Submits a create of a fresh id and returns its code, or `left a document` if something was stored anyway. */
async function refusedCreate(ctx: HostileContext, type: string, data: unknown | (() => unknown)): Promise<Outcome> {
  const attacker = await ctx.attacker();
  const id = `cd-fresh-${++fresh}-${Date.now().toString(36)}`;
  const code = await attacker.create('docs', id, type, typeof data === 'function' ? data() : data);
  const read = await http(`${ctx.server.httpUrl}/api/docs/docs/${id}`, {
    headers: { authorization: `Bearer ${await ctx.token('owner')}` },
  });
  return read.status === 404 ? { code } : { code: `left a document (${code})`, note: JSON.stringify(read.body) };
}

export const createDeleteCases: HostileCase[] = [
  {
    name: 'a json0 create with a top-level _id', category: 'create-delete', expected: 'ERR_OP_INVALID',
    run: (ctx) => refusedCreate(ctx, 'json0', { _id: 'other', title: 'x' }),
  },
  {
    name: 'a json1 create with a top-level $where key', category: 'create-delete', expected: 'ERR_OP_INVALID',
    run: (ctx) => refusedCreate(ctx, 'json1', { $where: 'sleep(1000)', title: 'x' }),
  },
  {
    name: 'a json0 create with a dotted top-level key', category: 'create-delete', expected: 'ERR_OP_INVALID',
    run: (ctx) => refusedCreate(ctx, 'json0', { 'a.b': 1 }),
  },
  {
    name: 'a json0 create holding __proto__ deep inside', category: 'create-delete', expected: 'ERR_OP_INVALID',
    run: (ctx) => refusedCreate(ctx, 'json0', () => JSON.parse('{"ok":{"x":{"__proto__":{"polluted":"yes"}}}}')),
  },
  {
    name: 'a rich-text create holding a retain', category: 'create-delete', expected: 'ERR_OP_INVALID',
    run: (ctx) => refusedCreate(ctx, 'rich-text', [{ retain: 5 }, { insert: 'x\n' }]),
  },
  {
    name: 'a create of an unknown type', category: 'create-delete', expected: 'ERR_UNKNOWN_TYPE',
    run: (ctx) => refusedCreate(ctx, 'http://evil.example/types/anything', { x: 1 }),
  },
  {
    name: 'a create over an existing document', category: 'create-delete', expected: 'ERR_DOC_ALREADY_CREATED',
    run: async (ctx) => {
      const target = await ctx.target('json0', { owner: 'owner', body: 'original' });
      const attacker = await ctx.attacker();
      return { code: await attacker.create(target.collection, target.id, 'json0', { owner: 'mallory' }) };
    },
  },
  {
    name: 'a delete by a co-editor who is not the owner', category: 'create-delete', expected: 'ERR_FORBIDDEN',
    run: async (ctx) => {
      const target = await ctx.target('json1', { keep: true });
      const attacker = await ctx.attacker();
      return { code: await attacker.submit({ c: target.collection, d: target.id, v: target.v, del: true }) };
    },
  },
  {
    name: 'a create whose id REST could not address (a space, é)', category: 'create-delete', expected: 'ERR_INVALID_NAME',
    run: async (ctx) => {
      const attacker = await ctx.attacker();
      return { code: await attacker.create('docs', `é x-${Date.now()}`, 'json0', { n: 1 }) };
    },
  },
  {
    name: 'a create in a collection named with a slash', category: 'create-delete', expected: 'ERR_INVALID_NAME',
    run: async (ctx) => {
      const attacker = await ctx.attacker();
      return { code: await attacker.create('bad/name', `slash-${Date.now()}`, 'json0', { n: 1 }) };
    },
  },
  {
    // Refused by the name rule before ShareDB's own check (which answered ERR_MESSAGE_BADLY_FORMED): the code REST gives.
    name: 'a create with the id __proto__', category: 'create-delete', expected: 'ERR_INVALID_NAME',
    run: async (ctx) => {
      const attacker = await ctx.attacker();
      return { code: await attacker.create('docs', '__proto__', 'json0', { polluted: 'yes' }) };
    },
  },
];
