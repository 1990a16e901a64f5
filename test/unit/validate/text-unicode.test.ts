import { describe, it } from 'vitest';
import { createValidator } from '../../../server/dist/policy/validate/index.js';
import { createOf, editOf, expectInvalid, expectValid } from './helpers.js';

const validator = createValidator();
// 4 code points, 5 UTF-16 units.
const TEXT = 'a😀bc';
const edit = (op: unknown, data: unknown = TEXT) => editOf('text-unicode', data, op);

describe('text-unicode validation', () => {
  it.each([
    ['an insert at the end (positions in code points)', [4, '!']],
    ['an insert of astral characters', [1, '𝄞😀']],
    ['a delete by count of the last code point', [3, { d: 1 }]],
    ['a delete by text across an astral character', [{ d: 'a😀' }]],
    ['a delete then an insert', [1, { d: 1 }, 'x']],
    ['an empty op', []],
  ])('accepts %s', (_name, op) => expectValid(validator, edit(op)));

  it.each([
    ['a skip past the end', [5, 'x'], /op\[0\]: skips past the end of the text \(to 5, length 4\)/],
    ['a skip counted in UTF-16 units', [5, 'x'], /length 4/],
    ['a delete past the end', [3, { d: 2 }], /op\[1\]: deletes past the end of the text \(to 5, length 4\)/],
    ['a delete by text that does not match', [1, { d: 'x' }], /op\[1\]: deleted text does not match the document at 1/],
    ['a fractional skip', [1.5, 'x'], /op\[0\]: a skip must be a positive integer/],
    ['a negative skip', [-1, 'x'], /a skip must be a positive integer/],
    ['a NaN skip', [Number.NaN, 'x'], /non-finite number/],
    ['a fractional delete', [{ d: 1.5 }], /d must be a positive integer or a non-empty string/],
    ['an empty delete', [{ d: '' }], /d must be a positive integer or a non-empty string/],
    ['an empty insert', [''], /an insert must not be empty/],
    ['an insert with a lone surrogate', [1, '\uD83D'], /op\[1\]: insert holds a lone surrogate/],
    ['an insert with a lone low surrogate', ['x\uDE00'], /insert holds a lone surrogate/],
    ['adjacent inserts, which transform does not order consistently', ['a', 'b'], /op\[1\]: adjacent inserts must be combined into one/],
    ['adjacent deletes', [{ d: 1 }, { d: 1 }], /adjacent deletes must be combined/],
    ['adjacent skips (the type\'s own checkOp)', [1, 1, 'x'], /Adjacent skip components should be combined/],
    ['a trailing skip (the type\'s own checkOp)', [2], /Op has a trailing skip/],
    ['a boolean component', [true, 'x'], /a component is a skip count, an insert string or \{d\}/],
    ['a null component', [null], /a component is a skip count, an insert string or \{d\}/],
    ['a delete with extra fields', [{ d: 1, x: 1 }], /a component is a skip count, an insert string or \{d\}/],
    ['an op that is not a list', 'abc', /must be a list of components/],
  ])('refuses %s', (_name, op, reason) => expectInvalid(validator, edit(op), reason));

  it('refuses ops on a document that is not text', () => {
    expectInvalid(validator, edit(['x'], { text: 'a' }), /the document is not text/);
  });

  it('creates from a string without lone surrogates', () => {
    expectValid(validator, createOf('text-unicode', 'héllo 😀'));
    expectValid(validator, createOf('text-unicode', undefined));
    expectInvalid(validator, createOf('text-unicode', 42), /must be created from a string/);
    expectInvalid(validator, createOf('text-unicode', 'a\uD800b'), /created text holds a lone surrogate/);
  });

  it('refuses a text that would outgrow the size cap, in UTF-8 bytes', () => {
    const small = createValidator({ maxDocBytes: 40 });
    expectValid(small, edit([4, 'x'.repeat(30)]));
    // 7 bytes of TEXT + 9 × 4 bytes: over 40 though the UTF-16 length is only 23.
    expectInvalid(small, edit([4, '😀'.repeat(9)]), /the text would be larger than 40 bytes/);
    expectInvalid(small, createOf('text-unicode', 'é'.repeat(21)), /the text would be larger than 40 bytes/);
  });
});
