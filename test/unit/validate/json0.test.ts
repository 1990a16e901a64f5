import { describe, it } from 'vitest';
import { createValidator } from '../../../server/dist/policy/validate/index.js';
import { deepFreeze, editOf, expectInvalid, expectValid } from './helpers.js';

const validator = createValidator();
const DOC = deepFreeze({ title: 'héllo', n: 2, list: ['a', { x: 1 }, 'c'], meta: { tags: ['t'] }, s: '😀b' });
const edit = (op: unknown, data: unknown = DOC) => editOf('json0', data, op);

describe('json0 validation', () => {
  it.each([
    ['li at the end of a list', [{ p: ['list', 3], li: 'd' }]],
    ['li at the start', [{ p: ['list', 0], li: null }]],
    ['ld matching the item', [{ p: ['list', 1], ld: { x: 1 } }]],
    ['li + ld replace', [{ p: ['list', 2], ld: 'c', li: 'C' }]],
    ['lm to the last index', [{ p: ['list', 0], lm: 2 }]],
    ['oi of a new key', [{ p: ['meta', 'new'], oi: { deep: [1, 2] } }]],
    ['od matching the value', [{ p: ['meta', 'tags'], od: ['t'] }]],
    ['oi + od replace', [{ p: ['n'], od: 2, oi: 'two' }]],
    ['na on a number', [{ p: ['n'], na: -2.5 }]],
    ['na inside a list item', [{ p: ['list', 1, 'x'], na: 1 }]],
    ['si at the end of a string', [{ p: ['title', 5], si: '!' }]],
    ['sd matching the text (UTF-16 offsets)', [{ p: ['s', 2], sd: 'b' }]],
    ['a component addressing what the previous one inserted', [{ p: ['k'], oi: [] }, { p: ['k', 0], li: 1 }]],
    ['a whole-document replace with od', [{ p: [], od: DOC, oi: { fresh: true } }]],
    ['an empty op', []],
  ])('accepts %s', (_name, op) => expectValid(validator, edit(op)));

  it.each([
    ['li past the end of a list', [{ p: ['list', 4], li: 'x' }], /index 4 out of range at \/list \(length 3\)/],
    ['a negative index', [{ p: ['list', -1], li: 'x' }], /path step 1 must be a key or a non-negative integer/],
    ['a fractional index', [{ p: ['list', 0.5], li: 'x' }], /path step 1 must be a key or a non-negative integer/],
    ['a string key on a list', [{ p: ['list', '0'], li: 'x' }], /key "0" on a list at \/list/],
    ['an index on an object', [{ p: ['meta', 0], oi: 1 }], /oi needs a string key/],
    ['a path through a missing key', [{ p: ['nope', 0], li: 1 }], /no key "nope" at \//],
    ['a path through a number', [{ p: ['n', 'x'], oi: 1 }], /oi needs an object at \/n, found number/],
    ['an inherited key in a path', [{ p: ['meta', 'toString', 0], li: 1 }], /no key "toString" at \/meta/],
    ['ld that does not match', [{ p: ['list', 0], ld: 'b' }], /ld does not match the item at \/list\/0/],
    ['ld past the end', [{ p: ['list', 3], ld: 'c' }], /index 3 out of range/],
    ['lm past the end', [{ p: ['list', 0], lm: 3 }], /lm must be an index in range at \/list \(0\.\.2\)/],
    ['lm from past the end', [{ p: ['list', 3], lm: 0 }], /index 3 out of range/],
    ['lm fractional', [{ p: ['list', 0], lm: 1.5 }], /lm must be an index in range/],
    ['oi over an existing key without od', [{ p: ['n'], oi: 3 }], /oi at existing key \/n needs od/],
    ['od that does not match', [{ p: ['n'], od: 3 }], /od does not match the value at \/n/],
    ['od of a missing key', [{ p: ['zz'], od: 1 }], /od of missing key \/zz/],
    ['na on a string', [{ p: ['title'], na: 1 }], /na on a string at \/title/],
    ['na with a string', [{ p: ['n'], na: '1' }], /na must be a number/],
    ['na that overflows', [{ p: ['n'], na: Number.MAX_VALUE }, { p: ['n'], na: Number.MAX_VALUE }], /na overflows/],
    ['NaN anywhere', [{ p: ['n'], na: Number.NaN }], /non-finite number at \/0\/na/],
    ['si past the end', [{ p: ['title', 6], si: 'x' }], /offset 6 past the end of the string at \/title\/6 \(length 5\)/],
    ['si on a number', [{ p: ['n', 0], si: 'x' }], /string op on a number at \/n/],
    ['sd that does not match', [{ p: ['title', 0], sd: 'x' }], /deleted text does not match/],
    ['sd past the end', [{ p: ['title', 4], sd: 'oo' }], /deleted text does not match/],
    ['a string offset that is a key', [{ p: ['title', 'x'], si: 'x' }], /string offset must be an integer/],
    ['subtype ops', [{ p: ['title'], t: 'text0', o: [{ p: 0, i: 'x' }] }], /subtype ops \(t\/o\) are not supported/],
    ['an unknown field', [{ p: ['n'], na: 1, x: 1 }], /unknown field "x"/],
    ['two instructions', [{ p: ['list', 0], li: 1, oi: 1 }], /needs one instruction.*got li\+oi/],
    ['no instruction', [{ p: ['n'] }], /needs one instruction.*got none/],
    ['a missing path', [{ na: 1 }], /p must be a path list/],
    ['li with an empty path', [{ p: [], li: 1 }], /li needs a non-empty path/],
    ['od of the whole document', [{ p: [], od: DOC }], /od at the root removes the document; delete it instead/],
    ['a root replace whose od does not match', [{ p: [], od: {}, oi: {} }], /od does not match the document/],
    ['an op that is not a list', { p: ['n'], na: 1 }, /json0 op must be a list of components/],
    ['a component that is not an object', [['n']], /component must be an object/],
    ['a second component checked against the first one\'s result', [{ p: ['list', 0], ld: 'a' }, { p: ['list', 2], ld: 'c' }], /index 2 out of range/],
  ])('refuses %s', (_name, op, reason) => expectInvalid(validator, edit(op), reason));

  describe('keys', () => {
    it.each(['__proto__', 'constructor', 'prototype'])('refuses the prototype key %s in a path', (key) => {
      expectInvalid(validator, edit([{ p: ['meta', key], oi: 1 }]), new RegExp(`prototype key "${key}" at /meta/${key}`));
    });

    it('refuses a prototype key inside an inserted value', () => {
      const op = JSON.parse('[{"p":["meta","v"],"oi":{"a":{"__proto__":{"admin":true}}}}]') as unknown;
      expectInvalid(validator, edit(op), /prototype key "__proto__" at \/0\/oi\/a/);
    });

    it.each(['_id', '_v', '_type', '_m', '_o', '_data', '$set', 'a.b'])('refuses the reserved top-level key %s', (key) => {
      expectInvalid(validator, edit([{ p: [key], oi: 1 }]), /top-level key .* is reserved by storage/);
    });

    it('refuses reserved keys brought in by a whole-document replace', () => {
      expectInvalid(validator, edit([{ p: [], od: DOC, oi: { _id: 1 } }]), /top-level key "_id" is reserved/);
    });

    it('allows the same keys below the top level, and deleting a reserved key that is already there', () => {
      expectValid(validator, edit([{ p: ['meta', '_id'], oi: { $x: 1, 'a.b': 2 } }]));
      expectValid(validator, edit([{ p: ['_id'], od: 1 }], { _id: 1 }));
    });
  });

  it('refuses an insert that would nest the document too deep', () => {
    const shallow = createValidator({ maxDepth: 4 });
    // Root 1, meta 2, tags 3: the inserted list is level 4, a list inside it level 5 (the op itself nests 4 deep).
    expectValid(shallow, edit([{ p: ['meta', 'tags', 1], li: [1] }]));
    expectInvalid(shallow, edit([{ p: ['meta', 'tags', 1], li: [[]] }]), /the document would nest deeper than 4 levels/);
    expectInvalid(shallow, edit([{ p: ['meta', 'x'], oi: { y: [[]] } }]), /json0 op nests deeper than 4 levels/);
  });

  it('refuses a document that would outgrow the size cap, measured on the result', () => {
    const small = createValidator({ maxDocBytes: 120 });
    expectValid(small, edit([{ p: ['title', 0], si: 'x'.repeat(10) }]));
    expectInvalid(small, edit([{ p: ['title', 0], si: 'x'.repeat(60) }]), /the document would be larger than 120 bytes/);
  });
});
