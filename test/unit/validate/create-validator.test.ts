import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, TYPE_NAMES } from '@concord/shared';
import {
  createValidator, DEFAULT_VALIDATION_LIMITS, PROTOTYPE_KEYS, RESERVED_TOP_LEVEL_KEYS,
} from '../../../server/dist/policy/validate/index.js';
import { createOf, deepFreeze, editOf, expectInvalid, expectValid } from './helpers.js';

const validator = createValidator();

describe('createValidator', () => {
  it('defaults to the transport depth, the message size and 8 MiB documents', () => {
    expect(DEFAULT_VALIDATION_LIMITS).toEqual({
      maxDepth: DEFAULT_LIMITS.maxJsonDepth,
      maxOpBytes: DEFAULT_LIMITS.maxMessageBytes,
      maxDocBytes: 8 * 1_048_576,
    });
    expect([...PROTOTYPE_KEYS]).toEqual(['__proto__', 'constructor', 'prototype']);
    expect([...RESERVED_TOP_LEVEL_KEYS]).toEqual(['_id', '_v', '_type', '_m', '_o', '_data']);
  });

  it('refuses limits that are not positive integers, and a depth the walks cannot afford', () => {
    expect(() => createValidator({ maxDepth: 0 })).toThrow(RangeError);
    expect(() => createValidator({ maxOpBytes: 1.5 })).toThrow(/maxOpBytes must be a positive integer/);
    expect(() => createValidator({ maxDepth: 5000 })).toThrow(/at most 1000/);
  });

  it('refuses an edit without an op', () => {
    expectInvalid(validator, { collection: 'c', id: 'd', type: 'json0', data: {} }, /an edit needs an op/);
  });

  it('never refuses a delete', () => {
    for (const type of TYPE_NAMES) expectValid(validator, { collection: 'c', id: 'd', type, data: 'x', del: true });
  });

  it('refuses an op over the op size cap, for every type', () => {
    const small = createValidator({ maxOpBytes: 64 });
    const big = 'x'.repeat(80);
    expectInvalid(small, editOf('json0', { s: '' }, [{ p: ['s', 0], si: big }]), /json0 op is larger than 64 bytes/);
    expectInvalid(small, editOf('json1', { s: '' }, ['s', { es: [big] }]), /json1 op is larger than 64 bytes/);
    expectInvalid(small, editOf('rich-text', { ops: [] }, [{ insert: big }]), /rich-text op is larger than 64 bytes/);
    expectInvalid(small, editOf('text-unicode', '', [big]), /text-unicode op is larger than 64 bytes/);
  });

  it('refuses a depth bomb without overflowing the stack', () => {
    let bomb: unknown = 1;
    for (let i = 0; i < 100_000; i++) bomb = [bomb];
    expectInvalid(validator, editOf('json0', { a: [] }, [{ p: ['a', 0], li: bomb }]), /json0 op nests deeper than 100 levels/);
    expectInvalid(validator, createOf('json1', { a: bomb }), /created document nests deeper than 100 levels/);
  });

  it('refuses values that are not JSON', () => {
    expectInvalid(validator, editOf('json0', {}, [{ p: ['f'], oi: () => 1 }]), /function is not JSON, at \/0\/oi/);
    expectInvalid(validator, editOf('json0', {}, [{ p: ['u'], oi: { a: undefined } }]), /undefined is not JSON, at \/0\/oi\/a/);
    expectInvalid(validator, editOf('json0', {}, [{ p: ['d'], oi: new Date(0) }]), /non-plain object at \/0\/oi/);
    // eslint-disable-next-line no-sparse-arrays
    expectInvalid(validator, editOf('json0', {}, [{ p: ['h'], oi: [1, , 3] }]), /hole in a list at \/0\/oi\/1/);
  });

  describe('creates of JSON documents', () => {
    it('accepts plain data, and no data for json0 (null)', () => {
      expectValid(validator, createOf('json0', { a: [1, { b: 'c' }] }));
      expectValid(validator, createOf('json0', undefined));
      expectValid(validator, createOf('json1', { a: 1 }));
      expectValid(validator, createOf('json1', null));
    });

    it('refuses json1 without data (undefined is no JSON document and no storage keeps it the same)', () => {
      expectInvalid(validator, createOf('json1', undefined), /json1 document must be created with JSON data/);
    });

    it.each(['json0', 'json1'] as const)('%s: refuses prototype keys, reserved top-level keys and oversize data', (type) => {
      expectInvalid(validator, createOf(type, JSON.parse('{"a":{"constructor":{"prototype":1}}}')), /prototype key "constructor" at \/a/);
      expectInvalid(validator, createOf(type, { _v: 1 }), /top-level key "_v" is reserved by storage/);
      expectInvalid(validator, createOf(type, { 'x.y': 1 }), /top-level key "x.y" is reserved/);
      expectValid(validator, createOf(type, { a: { _v: 1, $x: 2 } }));
      expectInvalid(createValidator({ maxDocBytes: 32 }), createOf(type, { a: 'x'.repeat(40) }), /created document is larger than 32 bytes/);
    });
  });

  describe('per-collection JSON Schema', () => {
    const schemas = {
      notes: {
        type: 'object',
        required: ['title'],
        properties: { title: { type: 'string', maxLength: 10 }, votes: { type: 'integer', minimum: 0 } },
        additionalProperties: false,
      },
    };
    const withSchema = createValidator({ schemas });
    const note = deepFreeze({ title: 'hi', votes: 1 });

    it('checks creates and the document each json0 / json1 op would produce', () => {
      expectValid(withSchema, createOf('json0', { title: 'a' }, 'notes'));
      expectInvalid(withSchema, createOf('json0', { votes: 1 }, 'notes'), /would not match the notes schema: \/ must have required property 'title'/);
      expectValid(withSchema, editOf('json0', note, [{ p: ['votes'], na: 1 }], 'notes'));
      expectInvalid(withSchema, editOf('json0', note, [{ p: ['votes'], na: -2 }], 'notes'), /notes schema: \/votes must be >= 0/);
      expectInvalid(withSchema, editOf('json1', note, ['title', { es: [2, 'x'.repeat(9)] }], 'notes'), /\/title must NOT have more than 10 characters/);
      expectInvalid(withSchema, editOf('json1', note, ['extra', { i: 1 }], 'notes'), /must NOT have additional properties/);
    });

    it('leaves other collections alone', () => {
      expectValid(withSchema, createOf('json0', { anything: true }, 'other'));
      expectValid(withSchema, createOf('text-unicode', 'not an object', 'other'));
    });

    it('refuses to create a text document in the collection, which would get around the schema', () => {
      expectInvalid(withSchema, createOf('text-unicode', 'not an object', 'notes'), /notes collection has a JSON Schema: its documents must be json0 or json1/);
      expectInvalid(withSchema, createOf('rich-text', [{ insert: 'x' }], 'notes'), /must be json0 or json1/);
      // A text document made before the schema was configured can still be edited.
      expectValid(withSchema, editOf('rich-text', { ops: [] }, [{ insert: 'x' }], 'notes'));
    });

    it('compiles when the validator is built, so a bad schema fails at startup', () => {
      expect(() => createValidator({ schemas: { bad: { type: 'no-such-type' } } })).toThrow(/invalid JSON Schema for collection "bad"/);
    });
  });

  it('never mutates the document or the op it checks', () => {
    const doc = deepFreeze({ a: [1, 2, { b: 'text' }], n: 1 });
    const ops = [
      editOf('json0', doc, deepFreeze([{ p: ['a', 0], li: 0 }, { p: ['a', 3, 'b', 0], si: 'x' }, { p: ['n'], na: 1 }])),
      editOf('json1', doc, deepFreeze([['a', 0, { p: 0 }], ['moved', { d: 0, ena: 1 }]])),
      editOf('rich-text', deepFreeze({ ops: [{ insert: 'abc' }] }), deepFreeze([{ retain: 3, attributes: { b: true } }, { insert: 'x' }])),
    ];
    for (const candidate of ops) expectValid(validator, candidate);
  });
});
