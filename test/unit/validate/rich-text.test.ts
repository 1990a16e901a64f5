import { describe, it } from 'vitest';
import { createValidator } from '../../../server/dist/policy/validate/index.js';
import { createOf, deepFreeze, editOf, expectInvalid, expectValid } from './helpers.js';

const validator = createValidator();
// Quill length 6: "héllo" is 5 UTF-16 units, the image embed 1.
const DOC = deepFreeze({ ops: [{ insert: 'héllo', attributes: { bold: true } }, { insert: { image: 'a.png' } }] });
const edit = (op: unknown, data: unknown = DOC) => editOf('rich-text', data, op);

describe('rich-text validation', () => {
  it.each([
    ['an insert', [{ insert: 'x' }]],
    ['a retain to the very end with attributes', [{ retain: 6, attributes: { italic: true, bold: null } }]],
    ['a delete of everything', [{ delete: 6 }]],
    ['an embed with attributes', [{ retain: 6 }, { insert: { image: 'b.png' }, attributes: { width: 20 } }]],
    ['the {ops} form', { ops: [{ retain: 2 }, { insert: 'x', attributes: { color: '#f00' } }] }],
    ['a trailing plain retain', [{ insert: 'x' }, { retain: 6 }]],
    ['an astral character split by a retain (positions are UTF-16 units)', [{ retain: 1 }, { delete: 1 }], { ops: [{ insert: '😀' }] }],
  ])('accepts %s', (_name, op, data?: unknown) => expectValid(validator, edit(op, data ?? DOC)));

  it.each([
    ['a retain past the end', [{ retain: 7, attributes: { bold: true } }], /op\[0\]: retains past the end of the document \(to 7, length 6\)/],
    ['a plain retain past the end', [{ retain: 7 }, { insert: 'x' }], /retains past the end/],
    ['a delete past the end', [{ retain: 5 }, { delete: 2 }], /op\[1\]: deletes past the end of the document \(to 7, length 6\)/],
    ['a zero retain', [{ retain: 0 }, { insert: 'x' }], /retain must be a positive integer/],
    ['a negative retain', [{ retain: -1 }, { insert: 'x' }], /retain must be a positive integer/],
    ['a fractional retain', [{ retain: 1.5 }, { insert: 'x' }], /retain must be a positive integer/],
    ['a NaN delete', [{ delete: Number.NaN }], /non-finite number/],
    ['a string delete', [{ delete: '2' }], /delete must be a positive integer/],
    ['an insert of a number', [{ insert: 5 }], /an insert is a string or an embed object with one key \(got number\)/],
    ['an empty insert', [{ insert: '' }], /an insert must not be empty/],
    ['an embed with two keys', [{ insert: { image: 'a', video: 'b' } }], /embed object with one key/],
    ['an embed with a prototype key', JSON.parse('[{"insert":{"__proto__":{"x":1}}}]') as unknown, /prototype key "__proto__"/],
    ['attributes that are not an object', [{ insert: 'x', attributes: 'bold' }], /attributes must be an object/],
    ['a nested attribute value', [{ insert: 'x', attributes: { style: { a: 1 } } }], /attribute "style" must be a string, number or boolean/],
    ['null attributes on an insert', [{ insert: 'x', attributes: { bold: null } }], /attribute "bold" must be a string, number or boolean$/],
    ['empty attributes', [{ retain: 1, attributes: {} }], /attributes must not be empty/],
    ['a delete with attributes', [{ delete: 1, attributes: { bold: true } }], /a delete takes no attributes/],
    ['an unknown field', [{ insert: 'x', bold: true }], /unknown field "bold"/],
    ['two actions in one entry', [{ insert: 'x', retain: 1 }], /needs exactly one of insert, retain, delete/],
    ['an entry that is not an object', ['x'], /an entry must be an object/],
    ['an op that is not a delta', 'hello', /rich-text op must be a delta/],
  ])('refuses %s', (_name, op, reason) => expectInvalid(validator, edit(op), reason));

  it('creates only from inserts', () => {
    expectValid(validator, createOf('rich-text', { ops: [{ insert: 'hi\n' }] }));
    expectValid(validator, createOf('rich-text', undefined));
    expectInvalid(validator, createOf('rich-text', [{ retain: 3 }]), /created document\[0\]: a document holds only inserts \(found "retain"\)/);
    expectInvalid(validator, createOf('rich-text', [{ insert: 'x' }, { delete: 1 }]), /holds only inserts \(found "delete"\)/);
    expectInvalid(validator, createOf('rich-text', 'text'), /created document must be a delta/);
  });

  it('refuses a document that would outgrow the size cap, measured on the applied result', () => {
    const small = createValidator({ maxDocBytes: 120 });
    expectValid(small, edit([{ insert: 'x'.repeat(20) }]));
    expectInvalid(small, edit([{ insert: 'x'.repeat(80) }]), /the document would be larger than 120 bytes/);
    expectInvalid(small, edit([{ retain: 6, attributes: { link: 'y'.repeat(40) } }]), /larger than 120 bytes/);
  });
});
