/**
 * Serializes outbound messages, once per op for all its recipients. ShareDB builds a separate message object per
 * subscriber for the same op (`{a:'op', c, d, v, src, seq, op}`), so a hot document with
 * N subscribers would stringify the same op N times. The op payload object is shared between those messages, so it
 * keys a cache of the last serialization; the other fields are compared before the string is reused.
 */
interface Cached {
  c: unknown;
  d: unknown;
  v: unknown;
  src: unknown;
  seq: unknown;
  text: string;
}

const cache = new WeakMap<object, Cached>();

/** True when the message has exactly ShareDB's seven op-message keys (checked without allocating). */
function isPlainOpMessage(m: Record<string, unknown>): boolean {
  let count = 0;
  for (const key in m) {
    if (++count > 7 || !OP_MESSAGE_KEYS.has(key)) return false;
  }
  return count === 7;
}
const OP_MESSAGE_KEYS = new Set(['a', 'c', 'd', 'v', 'src', 'seq', 'op']);

export function serialize(message: unknown): string {
  const m = message as Record<string, unknown>;
  const payload = m['op'];
  if (m['a'] !== 'op' || payload === null || typeof payload !== 'object') return JSON.stringify(message);
  const hit = cache.get(payload);
  if (hit && hit.v === m['v'] && hit.c === m['c'] && hit.d === m['d'] && hit.src === m['src'] && hit.seq === m['seq'] &&
    isPlainOpMessage(m)) {
    return hit.text;
  }
  const text = JSON.stringify(message);
  if (isPlainOpMessage(m)) cache.set(payload, { c: m['c'], d: m['d'], v: m['v'], src: m['src'], seq: m['seq'], text });
  return text;
}
