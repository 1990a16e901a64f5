/**
 * Depth and size caps, and the one walk that checks a value is plain JSON. Ops are walked in full (they are small and
 * bounded by the op cap); documents are not copied: only inserted values are walked, and the document's size is
 * measured on the result (one cheap walk) only when the op can make it grow.
 */
import { Buffer } from 'node:buffer';
import { DEFAULT_LIMITS } from '@concord/shared';
import { formatPath, invalid, shown, type PathKey } from './invalid.js';
import { PROTOTYPE_KEYS } from './keys.js';

export interface ValidationLimits {
  /** Deepest nesting of lists and objects, in an op and in a document (a root object is depth 1). */
  readonly maxDepth: number;
  /** Largest op, in UTF-8 bytes of its JSON text (escape sequences not counted). */
  readonly maxOpBytes: number;
  /** Largest document, in UTF-8 bytes of its JSON text (text types: of the text), measured on the result. */
  readonly maxDocBytes: number;
}

/** The hard ceiling on `maxDepth`: the walks below recurse once per level. */
export const MAX_DEPTH_CEILING = 1000;

export const DEFAULT_VALIDATION_LIMITS: ValidationLimits = {
  // The same bound the WebSocket transport applies to whole messages.
  maxDepth: DEFAULT_LIMITS.maxJsonDepth,
  // An op larger than the largest message could not have arrived over a socket; REST and in-process submits too.
  maxOpBytes: DEFAULT_LIMITS.maxMessageBytes,
  // Half of MongoDB's 16 MiB BSON document cap: BSON is larger than JSON (lists store their indices as keys), and
  // the snapshot shares the document with sharedb-mongo's metadata.
  maxDocBytes: 8 * 1_048_576,
};

export interface InspectOptions {
  readonly maxDepth: number;
  readonly maxBytes: number;
  /** Names the value in reasons, for example `json0 op` or `created document`. */
  readonly subject: string;
}

/**
 * Checks a value is plain JSON (null, booleans, finite numbers, strings, dense lists, objects with Object's prototype
 * or none), holds no prototype key, nests at most `maxDepth` deep and is at most `maxBytes` of JSON. Returns its size
 * in bytes (UTF-8, escape sequences not counted). Stops at the first problem.
 */
export function inspectJson(value: unknown, options: InspectOptions): number {
  const path: PathKey[] = [];
  let bytes = 0;
  const add = (n: number): void => {
    bytes += n;
    if (bytes > options.maxBytes) invalid(`${options.subject} is larger than ${options.maxBytes} bytes`);
  };
  const walk = (node: unknown, depth: number): void => {
    switch (typeof node) {
      case 'string':
        return add(Buffer.byteLength(node) + 2);
      case 'number':
        if (!Number.isFinite(node)) invalid(`${options.subject}: non-finite number at ${formatPath(path)}`);
        return add(String(node).length);
      case 'boolean':
        return add(node ? 4 : 5);
      case 'object':
        if (node === null) return add(4);
        break;
      default:
        invalid(`${options.subject}: ${typeof node} is not JSON, at ${formatPath(path)}`);
    }
    if (depth > options.maxDepth) invalid(`${options.subject} nests deeper than ${options.maxDepth} levels`);
    if (Array.isArray(node)) {
      add(2 + Math.max(0, node.length - 1));
      for (let i = 0; i < node.length; i++) {
        if (!(i in node)) invalid(`${options.subject}: hole in a list at ${formatPath([...path, i])}`);
        path.push(i);
        walk(node[i], depth + 1);
        path.pop();
      }
      return;
    }
    if (!isPlainObject(node)) invalid(`${options.subject}: non-plain object at ${formatPath(path)}`);
    const keys = Object.keys(node);
    add(2 + Math.max(0, keys.length - 1));
    for (const key of keys) {
      if (PROTOTYPE_KEYS.has(key)) invalid(`${options.subject}: prototype key ${shown(key)} at ${formatPath(path)}`);
      add(Buffer.byteLength(key) + 3);
      path.push(key);
      walk((node as Record<string, unknown>)[key], depth + 1);
      path.pop();
    }
  };
  walk(value, 1);
  return bytes;
}

/** True for `{}` literals and JSON.parse output (prototype Object.prototype or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** True when `value` nests lists and objects deeper than `limit` (a container at the root is depth 1). */
export function exceedsDepth(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (limit < 1) return true;
  const children = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
  for (const child of children) if (exceedsDepth(child, limit - 1)) return true;
  return false;
}

/** Refuses a value written at a document path of `pathLength` steps that would nest the document too deep. */
export function checkValueDepth(value: unknown, pathLength: number, limits: ValidationLimits, where: string): void {
  if (exceedsDepth(value, limits.maxDepth - pathLength)) {
    invalid(`${where}: the document would nest deeper than ${limits.maxDepth} levels`);
  }
}

/** What one walk over a value tallies: UTF-16 units of strings and keys, numbers, and punctuation bytes. */
interface Tally {
  units: number;
  numbers: number;
  punctuation: number;
}

function tally(value: unknown, t: Tally): void {
  switch (typeof value) {
    case 'string':
      t.units += value.length;
      t.punctuation += 2;
      return;
    case 'number':
      t.numbers++;
      return;
    case 'boolean':
      t.punctuation += 5;
      return;
    case 'object':
      break;
    default:
      return;
  }
  if (value === null) {
    t.punctuation += 4;
  } else if (Array.isArray(value)) {
    t.punctuation += 2 + value.length;
    for (const item of value) tally(item, t);
  } else {
    t.punctuation += 2;
    for (const key in value) {
      t.units += key.length;
      t.punctuation += 4;
      tally((value as Record<string, unknown>)[key], t);
    }
  }
}

/**
 * Refuses a resulting JSON document over the size cap. One walk that allocates nothing bounds the UTF-8 size of its
 * JSON (a UTF-16 unit is 1 to 3 bytes, a number 1 to 24); the document is serialized only when the bounds straddle
 * the cap. Call it only when the op can grow the document: on a 1 MB document the walk costs about a fifth of the
 * serialization the storage does on every commit.
 */
export function checkDocBytes(doc: unknown, limits: ValidationLimits, where: string): void {
  const t: Tally = { units: 0, numbers: 0, punctuation: 0 };
  try {
    tally(doc, t);
  } catch {
    invalid(`${where}: the document is too deep to measure`);
  }
  if (3 * t.units + 24 * t.numbers + t.punctuation <= limits.maxDocBytes) return;
  if (t.units + t.numbers + t.punctuation > limits.maxDocBytes || jsonBytes(doc) > limits.maxDocBytes) {
    invalid(`${where}: the document would be larger than ${limits.maxDocBytes} bytes`);
  }
}

/** UTF-8 bytes of a document's JSON text. */
function jsonBytes(doc: unknown): number {
  const text = JSON.stringify(doc);
  return text === undefined ? 0 : Buffer.byteLength(text);
}

/** Refuses a resulting text over the size cap; `upperBound` lets the common case skip the exact count. */
export function checkTextBytes(text: () => string, upperBound: number, limits: ValidationLimits, where: string): void {
  if (upperBound <= limits.maxDocBytes) return;
  const bytes = Buffer.byteLength(text());
  if (bytes > limits.maxDocBytes) invalid(`${where}: the text would be larger than ${limits.maxDocBytes} bytes`);
}
