/**
 * Typed json1 op builders for structured documents. Every op they make is invertible: removals and replacements
 * carry the value they remove, read from the current document, so ShareDB can roll a rejected op back exactly and
 * undo can revert it.
 */
import * as json1 from 'ot-json1';
import type { Doc as JsonValue, JSONOp } from 'ot-json1';

/** A path into a JSON document: object keys and array indexes. */
export type JsonPath = ReadonlyArray<string | number>;
export type { JsonValue, JSONOp };

/** The value at `path`, or undefined. */
export function getAt(doc: unknown, path: JsonPath): unknown {
  let node = doc;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    if (Array.isArray(node)) {
      node = typeof key === 'number' ? node[key] : undefined;
    } else {
      node = Object.prototype.hasOwnProperty.call(node, key) ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return node;
}

/** Inserts `value` at `path` (an object key, or an array index that shifts later items). */
export function insertOp(path: JsonPath, value: JsonValue): JSONOp {
  return json1.insertOp([...path], value);
}

/** Removes what is at `path` of `doc`, carrying the removed value. */
export function removeOp(doc: unknown, path: JsonPath): JSONOp {
  const old = existing(doc, path);
  return json1.removeOp([...path], old as unknown as boolean);
}

/** Replaces what is at `path` of `doc` with `value`, carrying the old value. */
export function replaceOp(doc: unknown, path: JsonPath, value: JsonValue): JSONOp {
  return json1.replaceOp([...path], existing(doc, path), value);
}

/** Moves the value at `from` to `to` (json1 moves are invertible by nature). */
export function moveOp(doc: unknown, from: JsonPath, to: JsonPath): JSONOp {
  existing(doc, from);
  return json1.moveOp([...from], [...to]);
}

function existing(doc: unknown, path: JsonPath): JsonValue {
  const value = getAt(doc, path);
  if (value === undefined) throw new RangeError(`nothing at /${path.join('/')}`);
  return value as JsonValue;
}
