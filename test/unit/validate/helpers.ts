// Shared by the validator tests: candidates, the refusal assertion, and the JSON checks a resulting document must pass.
import { expect } from 'vitest';
import { ConcordError, type TypeName } from '@concord/shared';
import type { OpCandidate, Validator } from '@concord/server';

export function editOf(type: TypeName, data: unknown, op: unknown, collection = 'docs'): OpCandidate {
  return { collection, id: 'doc-1', type, data, op };
}

export function createOf(type: TypeName, data: unknown, collection = 'docs'): OpCandidate {
  return { collection, id: 'doc-1', type, data: undefined, create: { type, data } };
}

/** Asserts the validator refuses with ERR_OP_INVALID and a reason matching `reason`. */
export function expectInvalid(validator: Validator, candidate: OpCandidate, reason: RegExp): void {
  let caught: unknown;
  try {
    validator.validateOp(candidate);
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a refusal matching ${reason}`).toBeInstanceOf(ConcordError);
  expect((caught as ConcordError).code).toBe('ERR_OP_INVALID');
  expect((caught as ConcordError).message).toMatch(reason);
}

export function expectValid(validator: Validator, candidate: OpCandidate): void {
  expect(() => validator.validateOp(candidate)).not.toThrow();
}

/** Freezes a value and everything in it, so a validator that mutated its input would throw. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) deepFreeze(child);
  }
  return value;
}

export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** JSON text with object keys sorted: equal for documents that mean the same. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
  });
}

const PROTO_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Why `value` is not plain JSON free of prototype keys, or undefined when it is. */
export function jsonProblem(value: unknown, path = ''): string | undefined {
  switch (typeof value) {
    case 'string': case 'boolean': return undefined;
    case 'number': return Number.isFinite(value) ? undefined : `non-finite number at ${path || '/'}`;
    case 'object': break;
    default: return `${typeof value} at ${path || '/'}`;
  }
  if (value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return `hole at ${path}/${i}`;
      const problem = jsonProblem(value[i], `${path}/${i}`);
      if (problem) return problem;
    }
    return undefined;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return `non-plain object at ${path || '/'}`;
  for (const [key, child] of Object.entries(value)) {
    if (PROTO_KEYS.has(key)) return `prototype key at ${path}/${key}`;
    const problem = jsonProblem(child, `${path}/${key}`);
    if (problem) return problem;
  }
  return undefined;
}
