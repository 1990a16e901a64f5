/**
 * Frames that are not ShareDB messages: each ends only its own socket with the documented close code and the ERR_*
 * code as its reason (1007 not a JSON object, too deep or not UTF-8, 1003 binary, 1009 too big, 1008 too many
 * fragments). Floods of tiny fragments or tiny messages are served.
 */
import type { HostileCase, HostileContext, Outcome } from '../case.js';

/** Sends `frame` on a fresh authenticated socket and returns the close code and reason. */
async function closeCodeFor(ctx: HostileContext, frame: string | Buffer, binary = false): Promise<Outcome> {
  const attacker = await ctx.attacker();
  attacker.raw.send(frame, { binary });
  return { code: await attacker.closedWithReason() };
}

export const frameCases: HostileCase[] = [
  {
    name: 'a text frame that is not JSON', category: 'frames', expected: '1007 ERR_MESSAGE_BADLY_FORMED',
    run: (ctx) => closeCodeFor(ctx, '{"a":"f","c":"docs",'),
  },
  {
    name: 'the JSON primitive 42', category: 'frames', expected: '1007 ERR_MESSAGE_BADLY_FORMED',
    run: (ctx) => closeCodeFor(ctx, '42'),
  },
  {
    name: 'the JSON primitive null', category: 'frames', expected: '1007 ERR_MESSAGE_BADLY_FORMED',
    run: (ctx) => closeCodeFor(ctx, 'null'),
  },
  {
    name: 'a JSON array instead of an object', category: 'frames', expected: '1007 ERR_MESSAGE_BADLY_FORMED',
    run: (ctx) => closeCodeFor(ctx, '[{"a":"hs"}]'),
  },
  {
    name: 'a binary frame holding a valid message', category: 'frames', expected: '1003 ERR_BINARY_FRAME',
    run: (ctx) => closeCodeFor(ctx, Buffer.from('{"a":"f","c":"shared","d":"honest"}'), true),
  },
  {
    name: 'a text frame that is not UTF-8', category: 'frames', expected: '1007 ERR_MESSAGE_BADLY_FORMED',
    run: (ctx) => closeCodeFor(ctx, Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])),
  },
  {
    name: 'a message one byte over MAX_MESSAGE_BYTES', category: 'frames', expected: '1009 ERR_MESSAGE_TOO_BIG',
    run: async (ctx) => {
      const target = await ctx.target('json0', { text: 'keep' });
      const attacker = await ctx.attacker();
      const head = JSON.stringify({ a: 'op', c: target.collection, d: target.id, v: 1, src: attacker.id, seq: 1, op: [{ p: ['text'], oi: '' }] });
      // Pad the string value so that the whole message is exactly one byte over the limit.
      const frame = head.replace('"oi":""', `"oi":"${'x'.repeat(ctx.maxMessageBytes - head.length + 1)}"`);
      attacker.raw.send(frame);
      return { code: await attacker.closedWithReason(), note: `${frame.length} bytes` };
    },
  },
  {
    // ws caps a message at 16384 fragments and closes with 1008 (policy violation) beyond (the README's table).
    name: 'one message split into 20000 one-byte fragments', category: 'frames', expected: '1008 ERR_MESSAGE_TOO_BIG',
    run: async (ctx) => {
      const attacker = await ctx.attacker();
      attacker.raw.socket.send('{"a":"f","c":"docs","d":"', { fin: false });
      for (let i = 0; i < 20_000 && attacker.raw.socket.readyState === attacker.raw.socket.OPEN; i++) {
        attacker.raw.socket.send('x', { fin: false });
        if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      return { code: await attacker.closedWithReason() };
    },
  },
  {
    name: 'fragments that are small alone but sum past MAX_MESSAGE_BYTES', category: 'frames', expected: '1009 ERR_MESSAGE_TOO_BIG',
    run: async (ctx) => {
      const attacker = await ctx.attacker();
      const chunk = 'x'.repeat(Math.ceil(ctx.maxMessageBytes / 1000));
      attacker.raw.socket.send('{"a":"f","c":"docs","d":"', { fin: false });
      for (let i = 0; i < 1_100 && attacker.raw.socket.readyState === attacker.raw.socket.OPEN; i++) {
        attacker.raw.socket.send(chunk, { fin: false });
        if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      return { code: await attacker.closedWithReason() };
    },
  },
  {
    name: 'a valid fetch sent as 5000 tiny fragments is served', category: 'frames', expected: 'ok',
    run: async (ctx) => {
      const target = await ctx.target('json0', { kept: [1, 2, 3] });
      const attacker = await ctx.attacker();
      const text = JSON.stringify({ a: 'f', c: target.collection, d: target.id }).padEnd(5000, ' ');
      for (let i = 0; i < text.length; i++) attacker.raw.socket.send(text[i] as string, { fin: i === text.length - 1 });
      const reply = await attacker.raw.next((m) => m['a'] === 'f' && m['d'] === target.id, 'the fetch reply');
      const data = (reply['data'] as { data?: unknown } | undefined)?.data;
      return { code: JSON.stringify(data) === JSON.stringify(target.data) && !attacker.raw.isClosed() ? 'ok' : 'wrong reply' };
    },
  },
  {
    name: '10000 tiny messages without an action are each answered and the socket stays usable', category: 'frames', expected: 'ok',
    run: async (ctx) => {
      const attacker = await ctx.attacker();
      // Sent in batches, yielding in between as a separate client process would: this process is also the server.
      for (let i = 0; i < 10_000; i++) {
        attacker.send({ x: i });
        if (i % 250 === 249) await new Promise((resolve) => setImmediate(resolve));
      }
      await attacker.raw.next((m) => m['x'] === 9_999 && m['error'] !== undefined, 'the last error reply', 30_000);
      const errors = attacker.raw.messages.filter((m) => (m['error'] as { code?: string } | undefined)?.code === 'ERR_MESSAGE_BADLY_FORMED');
      const reply = await attacker.request({ a: 'f', c: 'shared', d: 'honest' }, (m) => m['a'] === 'f' && m['d'] === 'honest');
      return { code: errors.length === 10_000 && reply['error'] === undefined ? 'ok' : `answered ${errors.length}`, note: `${errors.length} ERR_MESSAGE_BADLY_FORMED replies` };
    },
  },
  {
    name: 'objects nested 5000 deep', category: 'frames', expected: '1007 ERR_MESSAGE_BADLY_FORMED',
    run: (ctx) => closeCodeFor(ctx, '{"a":'.repeat(5000) + '1' + '}'.repeat(5000)),
  },
];
