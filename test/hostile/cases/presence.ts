/**
 * Presence from a co-editor: a spoofed `user` is overwritten with the sender's own (server-stamped), prototype keys
 * and ids are refused, an oversize payload closes the socket with 1009. A second, honest subscriber sees only
 * what the server stamped.
 */
import { Attacker, codeOf, type Message } from '../attacker.js';
import type { HostileCase, HostileContext, Target } from '../case.js';
import { sleep } from '../case.js';

/** An honest presence subscriber on the target's channel. */
async function watcher(ctx: HostileContext, target: Target): Promise<Attacker> {
  const watcher = await Attacker.open(ctx.server.wsUrl, await ctx.token('watcher'));
  ctx.defer(() => watcher.close());
  const ch = `${target.collection}.${target.id}`;
  const seq = watcher.nextSeq();
  await watcher.request({ a: 'ps', ch, seq }, (m) => m['a'] === 'ps' && m['ch'] === ch);
  return watcher;
}

/** Sends presence `p` (raw JSON text allowed) from the attacker; returns its reply and what the watcher saw. */
async function sendPresence(ctx: HostileContext, target: Target, p: unknown, id = 'mal-cursor', type?: string):
  Promise<{ reply: Message; seen: Message | undefined; attacker: Attacker }> {
  const w = await watcher(ctx, target);
  const attacker = await ctx.attacker();
  const ch = `${target.collection}.${target.id}`;
  const body = typeof p === 'string' ? p : JSON.stringify(p);
  const seq = attacker.nextSeq();
  attacker.send(`{"a":"p","ch":${JSON.stringify(ch)},"id":${JSON.stringify(id)},"pv":0,"c":"${target.collection}",` +
    `"d":"${target.id}","v":${target.v},"seq":${seq},${type ? `"t":"${type}",` : ''}"p":${body}}`);
  const reply = await attacker.raw.next((m) => m['a'] === 'p' && m['ch'] === ch, 'the presence reply');
  await sleep(300); // time for a broadcast to reach the watcher, if there is one
  const seen = w.raw.messages.find((m) => m['a'] === 'p' && m['ch'] === ch && m['id'] === id && m['p'] !== undefined);
  return { reply, seen, attacker };
}

const cursor = { index: 0, length: 0 };

export const presenceCases: HostileCase[] = [
  {
    name: 'a cursor claiming to be another user is stamped with the sender', category: 'presence', expected: 'user=mallory',
    run: async (ctx) => {
      const target = await ctx.target('text-unicode', 'shared text');
      const { reply, seen } = await sendPresence(ctx, target, { ...cursor, user: { sub: 'honest-a', name: 'Admin' } });
      const user = (seen?.['p'] as { user?: { sub?: string; name?: string } } | undefined)?.user;
      return { code: reply['error'] ? codeOf(reply) : `user=${user?.sub}`, note: `watcher saw ${JSON.stringify(user)}` };
    },
  },
  {
    name: 'a presence that is a string, which cannot carry the sender', category: 'presence', expected: 'ERR_BAD_REQUEST',
    run: async (ctx) => {
      const target = await ctx.target('text-unicode', 'abc');
      const { reply, seen } = await sendPresence(ctx, target, JSON.stringify('I am honest-a')); // raw JSON text
      return { code: codeOf(reply), note: seen ? `relayed as ${JSON.stringify(seen['p'])}` : 'not relayed' };
    },
  },
  {
    name: 'a cursor with a negative index', category: 'presence', expected: 'ERR_BAD_REQUEST',
    run: async (ctx) => {
      const target = await ctx.target('text-unicode', 'abc');
      const { reply } = await sendPresence(ctx, target, { index: -99, length: 0 });
      return { code: codeOf(reply) };
    },
  },
  {
    name: 'a cursor carrying a __proto__ key', category: 'presence', expected: 'ERR_BAD_REQUEST',
    run: async (ctx) => {
      const target = await ctx.target('rich-text', [{ insert: 'text\n' }]);
      const { reply, seen } = await sendPresence(ctx, target, '{"index":0,"length":0,"__proto__":{"polluted":"yes"}}');
      return { code: codeOf(reply), note: seen ? 'broadcast to the watcher' : 'not broadcast' };
    },
  },
  {
    name: 'a whiteboard presence with a constructor.prototype path', category: 'presence', expected: 'ERR_BAD_REQUEST',
    run: async (ctx) => {
      const target = await ctx.target('json1', { shapes: {} });
      const { reply, seen } = await sendPresence(ctx, target, { pointer: { x: 1, y: 2 }, constructor: { prototype: { polluted: 1 } } });
      return { code: codeOf(reply), note: seen ? 'broadcast to the watcher' : 'not broadcast' };
    },
  },
  {
    name: 'the presence id __proto__', category: 'presence', expected: 'ERR_MESSAGE_BADLY_FORMED',
    run: async (ctx) => {
      const target = await ctx.target('text-unicode', 'abc');
      const { reply } = await sendPresence(ctx, target, cursor, '__proto__');
      return { code: codeOf(reply) };
    },
  },
  {
    name: 'a 20 KB presence label (under the message cap)', category: 'presence', expected: 'ERR_BAD_REQUEST',
    run: async (ctx) => {
      const target = await ctx.target('text-unicode', 'abc');
      const { reply, seen } = await sendPresence(ctx, target, { ...cursor, label: 'L'.repeat(20_000) });
      return { code: codeOf(reply), note: seen ? 'broadcast to the watcher' : 'not broadcast' };
    },
  },
  {
    name: 'a presence payload over MAX_MESSAGE_BYTES', category: 'presence', expected: 1009,
    run: async (ctx) => {
      const target = await ctx.target('text-unicode', 'abc');
      await watcher(ctx, target);
      const attacker = await ctx.attacker();
      attacker.send({ a: 'p', ch: `docs.${target.id}`, id: 'big', pv: 0, c: 'docs', d: target.id, v: target.v,
        p: { index: 0, length: 0, label: 'x'.repeat(ctx.maxMessageBytes) } });
      return { code: await attacker.closedWith() };
    },
  },
  {
    // Refused before it is transformed; it used to be transformed and relayed as sent.
    name: 'a cursor with garbage index and length sent at an old version', category: 'presence',
    expected: 'ERR_BAD_REQUEST',
    run: async (ctx) => {
      const target = await ctx.target('text-unicode', 'abc');
      // Move the document on so that the presence has to be transformed by the ops since its version.
      const editor = await ctx.attacker('owner');
      if (await editor.edit(target.collection, target.id, target.v, [3, 'def']) !== 'ok') return { code: 'setup failed' };
      target.v += 1;
      target.data = 'abcdef';
      const { reply, seen } = await sendPresence(ctx, { ...target, v: target.v - 1 }, { index: { $gt: 0 }, length: 'x' },
        'mal-cursor', 'http://sharejs.org/types/text-unicode');
      return { code: codeOf(reply), note: seen ? `relayed as ${JSON.stringify(seen['p'])}` : 'not relayed' };
    },
  },
];
