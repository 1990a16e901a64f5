import { describe, expect, it } from 'vitest';
import { checkQuery } from '../../../server/dist/policy/query-policy.js';

const limits = { maxLimit: 100 };
const refused = (query: unknown) => {
  try {
    checkQuery(query, limits);
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'accepted';
};

describe('query operator allowlist', () => {
  it.each([
    [{ title: 'a' }],
    [{ n: { $gt: 1, $lte: 5 }, tags: { $in: ['x'] } }],
    [{ $or: [{ a: 1 }, { b: { $exists: true } }], c: { $not: { $eq: 2 } } }],
    [{ items: { $elemMatch: { k: 1 } }, list: { $size: 2, $all: [1] } }],
    [{ title: { $regex: '^ab', $options: 'i' }, $sort: { title: 1 }, $skip: 5, $limit: 10 }],
  ])('accepts %j', (query) => {
    expect(refused(query)).toBe('accepted');
  });

  it.each([
    [{ $where: 'sleep(1000)' }],
    [{ a: { $function: { body: 'x' } } }],
    [{ $expr: { $gt: ['$a', '$b'] } }],
    [{ $or: [{ a: { $accumulator: {} } }] }],
    [{ $aggregate: [{ $lookup: {} }] }],
    [{ a: { $elemMatch: { $where: 'x' } } }],
    [{ $out: 'x' }],
    [{ 'a.__proto__.b': 1 }],
    [{ a: { $regex: 'x'.repeat(201) } }],
    [{ a: { $regex: '(a+)+$' } }],
    [{ a: { $regex: '^(a|a)*$' } }],
    [{ a: { $regex: '(x){2,}' } }],
    [{ $limit: -1 }],
    [{ $sort: { a: 'up' } }],
    [null],
    [[{ a: 1 }]],
  ])('refuses %j with ERR_BAD_REQUEST', (query) => {
    expect(refused(query)).toBe('ERR_BAD_REQUEST');
  });

  it('caps $limit, and adds it when missing', () => {
    expect(checkQuery({ $limit: 5000 }, limits)['$limit']).toBe(100);
    expect(checkQuery({ a: 1 }, limits)['$limit']).toBe(100);
    expect(checkQuery({ $limit: 7 }, limits)['$limit']).toBe(7);
  });
});
