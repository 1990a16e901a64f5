/**
 * Presence values are relayed to every subscriber as sent (plus the stamped `user`), so they get the same hygiene
 * as ops: plain JSON, no prototype keys, bounded depth and size.
 */
import { ConcordError, PROTOTYPE_KEYS } from '@concord/shared';

/** Largest presence value, in UTF-16 units of its JSON: a cursor or a selection of shape ids, not a document. */
export const MAX_PRESENCE_CHARS = 16_384;
const MAX_PRESENCE_DEPTH = 10;

export function checkPresenceValue(value: unknown): void {
  if (value === null) return;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_PRESENCE_DEPTH) refuse(`presence is nested deeper than ${MAX_PRESENCE_DEPTH} levels`);
    for (const [key, child] of Object.entries(node)) {
      if (PROTOTYPE_KEYS.has(key)) refuse(`presence may not use the key ${key}`);
      stack.push([child, depth + 1]);
    }
  }
  if (JSON.stringify(value).length > MAX_PRESENCE_CHARS) refuse(`presence is larger than ${MAX_PRESENCE_CHARS} characters`);
}

function refuse(message: string): never {
  throw new ConcordError('ERR_BAD_REQUEST', message);
}
