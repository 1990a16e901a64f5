/**
 * Malformed ops for each of the four types, submitted by an authenticated co-editor who may write: positions and
 * lengths out of range, negative or fractional, type confusion, prototype paths and keys, depth and size bombs.
 * Each is refused with ERR_OP_INVALID before it is applied, and the document stays as it was. So is each sent
 * against an older version of the document, which the server transforms before it can apply it.
 */
import type { Category, HostileCase, TypeName } from '../case.js';

const OP_INVALID = 'ERR_OP_INVALID';

/** A case: create `initial` of `type`, submit `op` at its version, return the reply's code. */
function opCase(category: Category & TypeName, name: string, initial: unknown, op: unknown | (() => unknown),
  expected = OP_INVALID, extra: Partial<HostileCase> = {}): HostileCase {
  return {
    name, category, expected, ...extra,
    run: async (ctx) => {
      const target = await ctx.target(category, initial);
      const attacker = await ctx.attacker();
      return { code: await attacker.edit(target.collection, target.id, target.v, typeof op === 'function' ? op() : op) };
    },
  };
}

/**
 * A stale case: another connection first makes an honest edit (`first`, turning `initial` into `after`), then the
 * attacker submits `op` against the version before it, so the server must transform the malformed op before it
 * could apply it.
 */
function staleCase(category: Category & TypeName, name: string, initial: unknown, first: unknown, after: unknown,
  op: unknown): HostileCase {
  return {
    name: `${name}, sent against an older version`, category, expected: OP_INVALID,
    run: async (ctx) => {
      const target = await ctx.target(category, initial);
      // Another connection edits: a connection's own op older than its previous one is refused for that alone.
      const [editor, attacker] = await Promise.all([ctx.attacker('stale-editor'), ctx.attacker()]);
      const base = target.v;
      const honest = await editor.edit(target.collection, target.id, base, first);
      if (honest !== 'ok') return { code: honest, note: 'the honest edit was refused' };
      target.v = base + 1;
      target.data = after;
      return { code: await attacker.edit(target.collection, target.id, base, op) };
    },
  };
}

/** `{"k":{"k":...{}}}` nested `depth` objects deep. */
function nested(depth: number): unknown {
  let value: unknown = {};
  for (let i = 1; i < depth; i++) value = { k: value };
  return value;
}

const JSON0_DOC = { title: 'plan', list: [1, 2, 3], n: 5, deep: { a: { b: { c: { d: {} } } } } };

export const json0Cases: HostileCase[] = [
  opCase('json0', 'li at a negative list index', JSON0_DOC, [{ p: ['list', -1], li: 0 }]),
  opCase('json0', 'li past the end of the list', JSON0_DOC, [{ p: ['list', 4], li: 0 }]),
  opCase('json0', 'ld at a fractional index', JSON0_DOC, [{ p: ['list', 1.5], ld: 2 }]),
  opCase('json0', 'ld whose deleted value does not match the document', JSON0_DOC, [{ p: ['list', 0], ld: 99 }]),
  opCase('json0', 'na on a string (type confusion)', JSON0_DOC, [{ p: ['title'], na: 1 }]),
  opCase('json0', 'na adding a string to a number', JSON0_DOC, [{ p: ['n'], na: '5' }]),
  // ShareDB itself refuses dangerous json0 path steps before Concord's validator runs; its code reaches the client
  // unchanged, as the README says of ShareDB's own codes (REST maps it to ERR_OP_INVALID).
  opCase('json0', "oi at ['__proto__', 'polluted']", JSON0_DOC, [{ p: ['__proto__', 'polluted'], oi: 'yes' }],
    'ERR_OT_OP_NOT_APPLIED'),
  opCase('json0', "oi at ['constructor', 'prototype', 'isAdmin']", JSON0_DOC,
    [{ p: ['constructor', 'prototype', 'isAdmin'], oi: true }], 'ERR_OT_OP_NOT_APPLIED'),
  opCase('json0', 'oi of a value holding a __proto__ key', JSON0_DOC,
    () => [JSON.parse('{"p":["deep","x"],"oi":{"__proto__":{"polluted":"yes"}}}') as unknown]),
  opCase('json0', 'oi making the document 102 levels deep (depth bomb)', JSON0_DOC,
    () => [{ p: ['deep', 'a', 'b', 'c', 'd', 'x'], oi: nested(96) }]),
  opCase('json0', 'string insert at a position past the end', JSON0_DOC, [{ p: ['title', 99], si: 'x' }]),
];

const JSON1_DOC = { title: 'board', items: ['a', 'b'], meta: { k: 1 }, deep: { a: { b: { c: { d: {} } } } } };

export const json1Cases: HostileCase[] = [
  opCase('json1', "insert at ['__proto__', 'polluted']", JSON1_DOC, ['__proto__', 'polluted', { i: 'yes' }]),
  opCase('json1', 'remove at a list index past the end', JSON1_DOC, ['items', 5, { r: true }]),
  opCase('json1', 'insert at a negative list index', JSON1_DOC, ['items', -1, { i: 'x' }]),
  opCase('json1', 'an embedded text edit on a number (type confusion)', JSON1_DOC,
    ['meta', 'k', { es: [0, 'x'] }]),
  opCase('json1', 'an embedded number add on a string', JSON1_DOC, ['title', { ena: 1 }]),
  opCase('json1', 'a structurally malformed op', JSON1_DOC, [[['title', { r: 7, i: 5, p: 'x' }]]]),
  opCase('json1', 'an insert holding a constructor key', JSON1_DOC,
    ['meta', 'x', { i: { constructor: { prototype: { polluted: 1 } } } }]),
  opCase('json1', 'an insert making the document 102 levels deep (depth bomb)', JSON1_DOC,
    () => ['deep', 'a', 'b', 'c', 'd', 'x', { i: nested(96) }]),
];

const RICH_DOC = [{ insert: 'Hello world\n' }];

export const richTextCases: HostileCase[] = [
  opCase('rich-text', 'retain past the end of the document', RICH_DOC, [{ retain: 100 }, { insert: 'x' }]),
  opCase('rich-text', 'a negative delete', RICH_DOC, [{ delete: -1 }]),
  opCase('rich-text', 'a fractional retain', RICH_DOC, [{ retain: 1.5 }, { insert: 'x' }]),
  opCase('rich-text', 'delete longer than the document', RICH_DOC, [{ delete: 1000 }]),
  opCase('rich-text', 'an insert that is a number (type confusion)', RICH_DOC, [{ insert: 5 }]),
  opCase('rich-text', 'attributes holding __proto__', RICH_DOC,
    () => [JSON.parse('{"insert":"x","attributes":{"__proto__":{"polluted":true}}}') as unknown]),
  opCase('rich-text', 'a retain with a string length', RICH_DOC, [{ retain: '3' }, { insert: 'x' }]),
];

const TEXT_DOC = 'héllo 👋 world';

export const textUnicodeCases: HostileCase[] = [
  opCase('text-unicode', 'insert at a position past the end', TEXT_DOC, [100, 'x']),
  opCase('text-unicode', 'a negative skip', TEXT_DOC, [-1, 'x']),
  opCase('text-unicode', 'a fractional skip', TEXT_DOC, [1.5, 'x']),
  opCase('text-unicode', 'a delete longer than the text', TEXT_DOC, [{ d: 100 }]),
  opCase('text-unicode', 'inserting a lone surrogate', TEXT_DOC, [6, '\ud83d']),
  opCase('text-unicode', 'an op that is an object (type confusion)', TEXT_DOC, { p: 0, i: 'x' }),
  opCase('text-unicode', 'a size bomb: an insert growing the text past the document cap (384 KiB here)', 'x'.repeat(200_000),
    () => [200_000, 'y'.repeat(200_000)], OP_INVALID, { inProcessOnly: true }),
];

const STALE_JSON0 = { a: 'xyz', l: [1] };
const STALE_JSON0_AFTER = { a: 'Qxyz', l: [1] };
const STALE_JSON1 = { a: 1 };
const STALE_RICH = [{ insert: 'abc\n' }];
const STALE_TEXT = 'abc';

export const staleOpCases: HostileCase[] = [
  staleCase('json0', 'a string insert of a number', STALE_JSON0, [{ p: ['a', 0], si: 'Q' }], STALE_JSON0_AFTER,
    [{ p: ['a', 0], si: 5 }]),
  staleCase('json0', 'a string insert at a key', STALE_JSON0, [{ p: ['a', 0], si: 'Q' }], STALE_JSON0_AFTER,
    [{ p: ['a', 'k'], si: 'x' }]),
  staleCase('json1', 'a structurally malformed op', STALE_JSON1, ['b', { i: 1 }], { a: 1, b: 1 },
    [[['a', { r: 7, i: 5, p: 'x' }]]]),
  staleCase('json1', 'an op that is a string', STALE_JSON1, ['b', { i: 1 }], { a: 1, b: 1 }, 'garbage'),
  staleCase('rich-text', 'an op that is a string', STALE_RICH, [{ insert: 'Q' }], { ops: [{ insert: 'Qabc\n' }] }, 'abc'),
  staleCase('rich-text', 'an op that is a number', STALE_RICH, [{ insert: 'Q' }], { ops: [{ insert: 'Qabc\n' }] }, 5),
  staleCase('rich-text', 'an insert that is a number', STALE_RICH, [{ insert: 'Q' }], { ops: [{ insert: 'Qabc\n' }] },
    [{ insert: 5 }]),
  staleCase('text-unicode', 'a json0 op on text', STALE_TEXT, ['Q'], 'Qabc', [{ p: ['x'], oi: 1 }]),
  staleCase('text-unicode', 'a negative skip', STALE_TEXT, ['Q'], 'Qabc', [-1, 'x']),
];
