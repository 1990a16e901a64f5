/** What a valid snapshot of each type looks like, checked on every document a case touched. */
import { expect } from 'vitest';
import type { TypeName } from './case.js';

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function expectPlainJson(value: unknown, path: string): void {
  if (value === null || ['string', 'boolean'].includes(typeof value)) return;
  if (typeof value === 'number') return void expect(Number.isFinite(value), path).toBe(true);
  expect(typeof value, path).toBe('object');
  if (Array.isArray(value)) return value.forEach((item, i) => expectPlainJson(item, `${path}/${i}`));
  expect(Object.getPrototypeOf(value), path).toBe(Object.prototype);
  for (const key of Object.keys(value as object)) {
    expect(PROTOTYPE_KEYS.has(key), `${path}: prototype key ${key}`).toBe(false);
    expectPlainJson((value as Record<string, unknown>)[key], `${path}/${key}`);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function expectValidShape(type: TypeName, data: unknown): void {
  switch (type) {
    case 'json0':
    case 'json1':
      expectPlainJson(data, type);
      if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
        for (const key of Object.keys(data)) expect(/^(_id|_v|_type|_m|_o|_data|\$)|\./.test(key), key).toBe(false);
      }
      return;
    case 'rich-text': {
      const ops = (data as { ops?: unknown }).ops;
      expect(Array.isArray(ops), 'rich-text snapshot has ops').toBe(true);
      for (const op of ops as Array<Record<string, unknown>>) {
        expect(Object.keys(op).filter((k) => k !== 'attributes'), 'rich-text snapshot holds only inserts').toEqual(['insert']);
        expect(typeof op['insert'] === 'string' || (typeof op['insert'] === 'object' && op['insert'] !== null)).toBe(true);
        expectPlainJson(op, 'rich-text op');
      }
      return;
    }
    case 'text-unicode':
      expect(typeof data).toBe('string');
      expect(LONE_SURROGATE.test(data as string), 'no lone surrogates').toBe(false);
      return;
  }
}
