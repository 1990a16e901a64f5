/**
 * Reading and rewriting JSON documents without touching the caller's data: strict child lookup (own properties of
 * plain objects, integer indices in range of lists), deep equality, and path-copying updates that copy only the
 * containers along a path, so a validator can compute an op's result at the cost of the path, not the document.
 */
import { formatPath, invalid, kindOf, shown, type PathKey } from './invalid.js';
import { isPlainObject } from './limits.js';

/** Marks a path that does not exist (distinct from a stored null). */
export const MISSING: unique symbol = Symbol('missing');
export type Maybe<T> = T | typeof MISSING;

/** The child at `key`, or MISSING: inherited properties (`toString`, a list's `length`) are never children. */
export function childOf(node: unknown, key: PathKey): Maybe<unknown> {
  if (Array.isArray(node)) {
    return typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < node.length ? node[key] : MISSING;
  }
  if (isPlainObject(node)) {
    return typeof key === 'string' && Object.prototype.hasOwnProperty.call(node, key) ? node[key] : MISSING;
  }
  return MISSING;
}

/** The child at `key`, or a precise refusal naming why the step does not exist. */
export function requireChild(node: unknown, key: PathKey, path: readonly PathKey[], where: string): unknown {
  const child = childOf(node, key);
  if (child !== MISSING) return child;
  const at = formatPath(path);
  if (Array.isArray(node)) {
    if (typeof key !== 'number') invalid(`${where}: key ${shown(String(key))} on a list at ${at}`);
    invalid(`${where}: index ${key} out of range at ${at} (length ${node.length})`);
  }
  if (isPlainObject(node)) {
    if (typeof key !== 'string') invalid(`${where}: index ${key} on an object at ${at}`);
    invalid(`${where}: no key ${shown(key)} at ${at}`);
  }
  invalid(`${where}: path ${formatPath([...path, key])} goes through a ${kindOf(node)}`);
}

/** The value at `path`, or MISSING. */
export function valueAt(root: unknown, path: readonly PathKey[]): Maybe<unknown> {
  let node: unknown = root;
  for (const key of path) {
    const child = childOf(node, key);
    if (child === MISSING) return MISSING;
    node = child;
  }
  return node;
}

/**
 * A copy of `root` whose value at `path` is `update(value)`; containers along the path are shallow-copied, the
 * rest is shared. Steps must exist (refused with a reason otherwise).
 */
export function updateIn(
  root: unknown, path: readonly PathKey[], update: (value: unknown) => unknown, where: string,
): unknown {
  const step = (node: unknown, i: number): unknown => {
    if (i === path.length) return update(node);
    const key = path[i] as PathKey;
    const child = requireChild(node, key, path.slice(0, i), where);
    return withChild(node, key, step(child, i + 1));
  };
  return step(root, 0);
}

/** A shallow copy of a list or plain object with one child replaced. */
export function withChild(node: unknown, key: PathKey, child: unknown): unknown {
  if (Array.isArray(node)) {
    const copy = node.slice();
    copy[key as number] = child;
    return copy;
  }
  return { ...(node as Record<string, unknown>), [key]: child };
}

/** Structural equality of JSON values; object key order does not matter. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  for (const key of ak) {
    if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
    if (!deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}
