import { describe, it } from 'vitest';
import { createValidator } from '../../../server/dist/policy/validate/index.js';
import { deepFreeze, editOf, expectInvalid, expectValid } from './helpers.js';

const validator = createValidator();
const DOC = deepFreeze({ title: 'héllo', n: 2, flag: true, empty: null, list: ['a', 'b'], meta: { s: '😀b' } });
const edit = (op: unknown, data: unknown = DOC) => editOf('json1', data, op);

describe('json1 validation', () => {
  it.each([
    ['an insert into a list', ['list', 2, { i: 'c' }]],
    ['an insert of a new key', ['meta', 'x', { i: { deep: [1] } }]],
    ['a remove', ['list', 0, { r: true }]],
    ['a replace', ['n', { r: true, i: 3 }]],
    ['a move between containers', [['list', 0, { p: 0 }], ['meta', 'moved', { d: 0 }]]],
    ['a number add', ['n', { ena: -5 }]],
    ['a text edit in code points', ['meta', 's', { es: [1, { d: 'b' }, 'c'] }]],
    ['an insert edited in the same op', ['x', { i: 'ab', es: [2, 'c'] }]],
    ['an edit of a value another part moves', [['list', 0, { p: 0 }], ['moved', { d: 0, es: ['>'] }]]],
    ['null (the no-op)', null],
  ])('accepts %s', (_name, op) => expectValid(validator, edit(op)));

  it.each([
    ['a malformed tree', ['n', { x: 1 }], /json1 op is malformed: Invalid component item 'x'/],
    ['unmatched picks and drops', ['list', 0, { p: 0 }], /json1 op is malformed/],
    ['a remove of a missing key', ['nope', { r: true }], /removes \/nope, which does not exist/],
    ['a remove past the end of a list', ['list', 2, { r: true }], /removes \/list\/2, which does not exist/],
    ['a pick of an inherited property', [['meta', 'toString', { p: 0 }], ['x', { d: 0 }]], /moves \/meta\/toString, which does not exist/],
    ['a pick through a string index', [['list', '0', { p: 0 }], ['x', { d: 0 }]], /moves \/list\/0, which does not exist/],
    ['an insert past the end of a list', ['list', 3, { i: 'x' }], /does not apply: inserts past the end of a list/],
    ['an insert over an existing key', ['n', { i: 1 }], /does not apply: inserts where a value already is/],
    ['ena on null', ['empty', { ena: 1 }], /ena on a null at \/empty/],
    ['ena on a boolean', ['flag', { ena: 1 }], /ena on a boolean at \/flag/],
    ['ena on a string', ['title', { ena: 1 }], /ena on a string at \/title/],
    ['ena on a missing key', ['zz', { ena: 1 }], /ena on a missing value at \/zz/],
    ['ena through a list\'s length', ['list', 'length', { ena: 1 }], /ena on a missing value at \/list\/length/],
    ['ena with a string', ['n', { ena: '1' }], /ena at \/n must be a number/],
    ['es deleting past the end', ['meta', 's', { es: [1, { d: 5 }] }], /es at \/meta\/s\[1\]: deletes past the end of the text \(to 6, length 2\)/],
    ['es skipping past the end in code points', ['meta', 's', { es: [3, 'x'] }], /skips past the end of the text \(to 3, length 2\)/],
    ['es on a number', ['n', { es: ['x'] }], /es on a number at \/n/],
    ['es with a lone surrogate', ['title', { es: ['\uD83D'] }], /insert holds a lone surrogate/],
    ['es deleting text that is not there', ['title', { es: [{ d: 'x' }] }], /deleted text does not match/],
    ['es with adjacent inserts', ['title', { es: ['a', 'b'] }], /adjacent inserts must be combined/],
    ['edits named by et / e', ['title', { et: 'text-unicode', e: ['x'] }], /edit type "text-unicode" at \/title is not supported \(use es or ena\)/],
    ['edits of unregistered types', ['title', { et: 'rich-text', e: [] }], /json1 op is malformed: Missing type: rich-text/],
    ['removing the root', [{ r: true }], /removes the document root; delete the document instead/],
    ['a prototype key in a path', ['meta', 'constructor', { i: 1 }], /prototype key "constructor" at \/meta\/constructor/],
    ['a prototype key in an inserted value', JSON.parse('["x",{"i":{"__proto__":{"admin":true}}}]') as unknown, /prototype key "__proto__"/],
    ['a non-finite number', ['n', { r: true, i: Number.POSITIVE_INFINITY }], /non-finite number/],
  ])('refuses %s', (_name, op, reason) => expectInvalid(validator, edit(op), reason));

  it('refuses a drop through a string index, which apply reads as a number and transform does not', () => {
    const data = { rows: [[1], [2]] };
    expectValid(validator, edit(['rows', 1, 0, { i: 'x' }], data));
    expectInvalid(validator, edit(['rows', '1', 0, { i: 'x' }], data), /inserts at \/rows\/1\/0, but "1" does not address \/rows/);
  });

  it('refuses ena whose sum is not finite', () => {
    expectInvalid(validator, edit(['n', { ena: Number.MAX_VALUE }], { n: Number.MAX_VALUE }), /ena overflows at \/n/);
  });

  describe('top-level keys', () => {
    it.each(['_id', '_v', '_type', '_m', '_o', '_data', '$where', 'a.b'])('refuses inserting the reserved key %s', (key) => {
      expectInvalid(validator, edit([key, { i: 1 }]), /top-level key .* is reserved by storage/);
    });

    it('refuses moving a value to a reserved key, and replacing the root with one', () => {
      expectInvalid(validator, edit([['$x', { d: 0 }], ['n', { p: 0 }]]), /top-level key "\$x" is reserved/);
      expectInvalid(validator, edit([{ r: true, i: { _id: 1 } }]), /top-level key "_id" is reserved/);
    });

    it('refuses moving an object holding reserved keys to the root', () => {
      const data = { inner: { _id: 1 } };
      expectInvalid(validator, edit([{ r: true, d: 0 }, 'inner', { p: 0 }], data), /top-level key "_id" is reserved/);
    });

    it('allows reserved keys below the top level', () => {
      expectValid(validator, edit(['meta', '_id', { i: { $x: 1 } }]));
    });
  });

  it('refuses moving a subtree where it would nest too deep', () => {
    const shallow = createValidator({ maxDepth: 3 });
    const data = { a: { b: [] }, c: {} };
    expectValid(shallow, edit([['a', 'b', { p: 0 }], ['c', 'b', { d: 0 }]], data));
    expectInvalid(shallow, edit([['a', { p: 0 }], ['c', 'x', { d: 0 }]], data), /would nest deeper than 3 levels/);
  });

  it('refuses a document that would outgrow the size cap', () => {
    const small = createValidator({ maxDocBytes: 150 });
    expectValid(small, edit(['meta', 'x', { i: 'y'.repeat(20) }]));
    expectInvalid(small, edit(['meta', 'x', { i: 'y'.repeat(80) }]), /the document would be larger than 150 bytes/);
  });
});
