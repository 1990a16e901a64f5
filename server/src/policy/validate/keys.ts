/**
 * Key rules shared by every type. Prototype keys are refused anywhere (paths, object keys in ops, created and
 * inserted data): written through a plain object they reach `Object.prototype` or the constructor. The keys
 * sharedb-mongo keeps for itself are refused at the top level of JSON documents, so that a document stores and
 * reads back the same on every storage.
 */
import { PROTOTYPE_KEYS } from '@concord/shared';
import { formatPath, invalid, shown, type PathKey } from './invalid.js';

export { PROTOTYPE_KEYS };

/** Top-level fields sharedb-mongo stores beside the document's own fields. */
export const RESERVED_TOP_LEVEL_KEYS: ReadonlySet<string> = new Set(['_id', '_v', '_type', '_m', '_o', '_data']);

export function isPrototypeKey(key: unknown): boolean {
  return typeof key === 'string' && PROTOTYPE_KEYS.has(key);
}

/** MongoDB reads `$`-prefixed keys as operators and dotted keys as paths; sharedb-mongo owns the `_` fields above. */
export function isReservedTopLevelKey(key: string): boolean {
  return RESERVED_TOP_LEVEL_KEYS.has(key) || key.startsWith('$') || key.includes('.');
}

/** Refuses a prototype key met at `path` (the key is its last step). */
export function checkKey(key: PathKey, path: readonly PathKey[], where: string): void {
  if (isPrototypeKey(key)) invalid(`${where}: prototype key ${shown(key as string)} at ${formatPath(path)}`);
}

/** Refuses a key written at the top level of a JSON document that storage reserves. */
export function checkTopLevelKey(key: PathKey, where: string): void {
  if (typeof key === 'string' && isReservedTopLevelKey(key)) {
    invalid(`${where}: top-level key ${shown(key)} is reserved by storage (_id, _v, _type, _m, _o, _data, $…, dotted)`);
  }
}

/** Checks every key of a value about to become the whole document. */
export function checkTopLevelKeys(value: unknown, where: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const key of Object.keys(value)) checkTopLevelKey(key, where);
}
