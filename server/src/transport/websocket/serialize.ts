/**
 * Serializes outbound messages, once per op for all its recipients. ShareDB builds a separate message object per
 * subscriber for the same op (`{a:'op', c, d, v, src, seq, op}`, always in that key order), so a hot document with
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
const OP_MESSAGE_KEYS = 'a,c,d,v,src,seq,op';

export function serialize(message: unknown): string {
  const m = message as Record<string, unknown>;
  const payload = m['op'];
  if (m['a'] !== 'op' || payload === null || typeof payload !== 'object') return JSON.stringify(message);
  const hit = cache.get(payload);
  if (hit && hit.v === m['v'] && hit.c === m['c'] && hit.d === m['d'] && hit.src === m['src'] && hit.seq === m['seq'] &&
    Object.keys(m).join(',') === OP_MESSAGE_KEYS) {
    return hit.text;
  }
  const text = JSON.stringify(message);
  if (Object.keys(m).join(',') === OP_MESSAGE_KEYS) cache.set(payload, { c: m['c'], d: m['d'], v: m['v'], src: m['src'], seq: m['seq'], text });
  return text;
}
