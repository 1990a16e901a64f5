/**
 * Turns outbound messages into WebSocket frames, once per op for all its recipients. ShareDB builds a separate message
 * object per subscriber for the same op (`{a:'op', c, d, v, src, seq, op}`), so a hot document with N subscribers
 * would stringify, UTF-8 encode and frame the same op N times. The op payload object is shared between those
 * messages, so it keys a cache of the last frame; the other fields are compared before the frame is reused.
 *
 * Server frames are never masked, so one frame's bytes are the same for every recipient and can be written to each
 * socket as they are.
 */
interface Cached {
  c: unknown;
  d: unknown;
  v: unknown;
  src: unknown;
  seq: unknown;
  frame: Buffer;
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

/** The message as one complete text frame (JSON payload). */
export function frameMessage(message: unknown): Buffer {
  const m = message as Record<string, unknown>;
  const payload = m['op'];
  if (m['a'] !== 'op' || payload === null || typeof payload !== 'object') return textFrame(JSON.stringify(message));
  const hit = cache.get(payload);
  if (hit && hit.v === m['v'] && hit.c === m['c'] && hit.d === m['d'] && hit.src === m['src'] && hit.seq === m['seq'] &&
    isPlainOpMessage(m)) {
    return hit.frame;
  }
  const frame = textFrame(JSON.stringify(message));
  if (isPlainOpMessage(m)) cache.set(payload, { c: m['c'], d: m['d'], v: m['v'], src: m['src'], seq: m['seq'], frame });
  return frame;
}

/**
 * A final, unmasked text frame (RFC 6455 §5.2) holding `text` as UTF-8, header and payload in one buffer: what ws's
 * `send(text)` writes as two, minus the per-recipient encoding.
 */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(text, header, 'utf8');
  return frame;
}
