/**
 * JSON objects that are not valid ShareDB requests get a ShareDB error reply and the socket stays usable; bulk
 * requests are capped (500 documents); a socket that sends anything before authenticating is closed with 4401.
 */
import type { Attacker } from '../attacker.js';
import { codeOf, probeUpgrade } from '../attacker.js';
import type { HostileCase, HostileContext, Outcome } from '../case.js';

/** Sends `message`, returns the error code of the reply matching `match`, after checking the socket still serves. */
async function replyCode(ctx: HostileContext, message: unknown, match: (m: Record<string, unknown>) => boolean,
  attacker?: Attacker): Promise<Outcome> {
  const peer = attacker ?? await ctx.attacker();
  const reply = await peer.request(message, match);
  const fetched = await peer.request({ a: 'f', c: 'shared', d: 'honest' }, (m) => m['a'] === 'f' && m['d'] === 'honest');
  if (fetched['error'] !== undefined || peer.raw.isClosed()) return { code: 'socket unusable afterwards' };
  return { code: codeOf(reply) };
}

export const protocolCases: HostileCase[] = [
  {
    name: 'an unknown action', category: 'protocol', expected: 'ERR_MESSAGE_BADLY_FORMED',
    run: (ctx) => replyCode(ctx, { a: 'zz', c: 'docs', d: 'x' }, (m) => m['a'] === 'zz'),
  },
  {
    name: 'an action that is an object', category: 'protocol', expected: 'ERR_MESSAGE_BADLY_FORMED',
    run: (ctx) => replyCode(ctx, { a: { $gt: '' }, c: 'docs' }, (m) => typeof m['a'] === 'object' && m['error'] !== undefined),
  },
  {
    name: 'a subscribe with a numeric collection and an object id', category: 'protocol', expected: 'ERR_MESSAGE_BADLY_FORMED',
    run: (ctx) => replyCode(ctx, { a: 's', c: 7, d: { id: 1 } }, (m) => m['a'] === 's' && m['error'] !== undefined),
  },
  {
    name: 'an op whose version is a string', category: 'protocol', expected: 'ERR_MESSAGE_BADLY_FORMED',
    run: async (ctx) => {
      const target = await ctx.target('json0', { n: 1 });
      const attacker = await ctx.attacker();
      return { code: await attacker.submit({ c: target.collection, d: target.id, v: '1', op: [{ p: ['n'], na: 1 }] }) };
    },
  },
  {
    name: 'an op whose seq is a fraction', category: 'protocol', expected: 'ERR_MESSAGE_BADLY_FORMED',
    run: async (ctx) => {
      const target = await ctx.target('json0', { n: 1 });
      const attacker = await ctx.attacker();
      return { code: await attacker.submit({ c: target.collection, d: target.id, v: target.v, seq: 1.5, op: [{ p: ['n'], na: 1 }] }) };
    },
  },
  {
    name: 'a presence message without its channel', category: 'protocol', expected: 'ERR_MESSAGE_BADLY_FORMED',
    run: (ctx) => replyCode(ctx, { a: 'p', c: 'shared', d: 'honest', id: 'no-channel', v: 1, seq: 1, p: { index: 1 } },
      (m) => m['a'] === 'p' && m['id'] === 'no-channel' && m['error'] !== undefined),
  },
  {
    name: 'a handshake with an object as the connection id', category: 'protocol', expected: 'ok',
    run: async (ctx) => {
      const attacker = await ctx.attacker();
      const reply = await attacker.request({ a: 'hs', id: { $ne: null } }, (m) => m['a'] === 'hs');
      // The object is not a connection id of this principal: a fresh string id is issued instead.
      return { code: typeof reply['id'] === 'string' ? codeOf(reply) : `id ${JSON.stringify(reply['id'])}` };
    },
  },
  {
    name: 'an op before the handshake uses the server-issued src only', category: 'protocol', expected: 'ERR_FORBIDDEN',
    run: async (ctx) => {
      const target = await ctx.target('json0', { n: 1 });
      const token = await ctx.token('mallory');
      // A raw socket that skips the handshake and claims a made-up src.
      const { openRaw } = await import('../../integration/transport/raw-socket.js');
      const raw = await openRaw(ctx.server.wsUrl, { headers: { authorization: `Bearer ${token}` } });
      ctx.defer(() => raw.socket.terminate());
      raw.send(JSON.stringify({ a: 'op', c: target.collection, d: target.id, v: 1, src: 'made.up', seq: 1, op: [{ p: ['n'], na: 1 }] }));
      const reply = await raw.next((m) => m['a'] === 'op' && m['d'] === target.id, 'the op reply');
      return { code: codeOf(reply) };
    },
  },
  {
    name: 'a fetch before authenticating (no token)', category: 'protocol', expected: 4401,
    run: async (ctx) => ({
      code: await probeUpgrade(ctx.server.wsUrl, {}, (socket) => socket.send(JSON.stringify({ a: 'f', c: 'shared', d: 'honest' }))),
    }),
  },
  {
    name: 'a bulk fetch of 501 documents', category: 'protocol', expected: 'ERR_BAD_REQUEST',
    run: (ctx) => replyCode(ctx, { a: 'bf', c: 'docs', b: Array.from({ length: 501 }, (_, i) => `bulk-${i}`) },
      (m) => m['a'] === 'bf' && m['error'] !== undefined),
  },
  {
    name: 'a bulk subscribe of 15000 documents as an object', category: 'protocol', expected: 'ERR_BAD_REQUEST',
    run: (ctx) => replyCode(ctx, { a: 'bs', c: 'docs', b: Object.fromEntries(Array.from({ length: 15_000 }, (_, i) => [`b${i}`, 0])) },
      (m) => m['a'] === 'bs' && m['error'] !== undefined),
  },
];
