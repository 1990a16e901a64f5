/**
 * Presence values are relayed to every subscriber as sent (plus the stamped `user`), so they get the same hygiene
 * as ops: plain JSON, no prototype keys, bounded depth and size. A value is an object (or null, to clear), since
 * only an object can carry the sender's stamp; a cursor's `index` and `length`, where present, are whole numbers
 * from 0 up, which is what every client draws.
 */
import { ConcordError, PROTOTYPE_KEYS } from '@concord/shared';
import { onDecision, type Authorizer } from '../engine/policies.js';
import type { PresenceMessage } from '../engine/middleware.js';
import type { Principal } from '../engine/principal.js';

/** Largest presence value, in UTF-16 units of its JSON: a cursor or a selection of shape ids, not a document. */
export const MAX_PRESENCE_CHARS = 16_384;
const MAX_PRESENCE_DEPTH = 10;

export function checkPresenceValue(value: unknown): void {
  if (value === null) return;
  if (typeof value !== 'object' || Array.isArray(value)) refuse('presence must be an object (or null to clear it)');
  for (const field of ['index', 'length'] as const) {
    const n = (value as Record<string, unknown>)[field];
    if (n !== undefined && !(Number.isSafeInteger(n) && (n as number) >= 0)) refuse(`presence ${field} must be a whole number from 0 up`);
  }
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

/**
 * Admits presence a client sends: a well-formed value, `presence` permission on the document, and the sender
 * stamped as the server knows it (`user`), so that a client cannot speak as someone else. A withdrawal (null) shows
 * nothing and needs no permission: refused to someone whose access was revoked after he showed himself (his own
 * clear, or the one ShareDB sends for him when his connection ends), it left his cursor on everyone's screen.
 */
export function admitPresence(presence: PresenceMessage, principal: Principal, authorizer: Authorizer): Promise<void> | void {
  const [collection, id] = splitPresenceChannel(presence.ch);
  // Permission is decided on the channel's document: the document the presence names must be that one.
  if ((presence.c !== undefined || presence.d !== undefined) && `${presence.c}.${presence.d}` !== presence.ch) {
    refuse('presence must name the document of its channel');
  }
  checkPresenceValue(presence.p);
  if (presence.p === null) return;
  return onDecision(authorizer.authorize({ principal, action: 'presence', collection, id }), (allowed) => {
    if (!allowed) throw new ConcordError('ERR_FORBIDDEN', 'presence not allowed');
    // checkPresenceValue admitted only an object here
    const user = principal.name === undefined ? { sub: principal.sub } : { sub: principal.sub, name: principal.name };
    presence.p = { ...(presence.p as Record<string, unknown>), user };
  });
}

/** Doc presence channels are `collection.id`; collection names may not contain dots in ShareDB's scheme. */
export function splitPresenceChannel(channel: string): [string, string | undefined] {
  const dot = channel.indexOf('.');
  return dot < 0 ? [channel, undefined] : [channel.slice(0, dot), channel.slice(dot + 1)];
}
