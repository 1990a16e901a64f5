/**
 * Identity spoofing: an op carrying another connection's src (with its next seq, which would make ShareDB ack the
 * victim's real op without applying it) is refused with ERR_FORBIDDEN; a handshake presenting another user's
 * connection id, or a forged one, gets a fresh id instead, and ops with the stolen src stay refused.
 */
import type { HostileCase } from '../case.js';

export const identityCases: HostileCase[] = [
  {
    name: "an op reusing the honest editor's src and next seq", category: 'identity', expected: 'ERR_FORBIDDEN',
    run: async (ctx) => {
      const target = await ctx.target('json0', { log: [] });
      const attacker = await ctx.attacker();
      return {
        code: await attacker.submit({ c: target.collection, d: target.id, v: target.v, src: ctx.honestId(), seq: ctx.honestSeq(),
          op: [{ p: ['log', 0], li: 'forged' }] }),
      };
    },
  },
  {
    name: "an op on the shared document with the honest editor's src (replay of its next seq)", category: 'identity',
    expected: 'ERR_FORBIDDEN',
    run: async (ctx) => {
      const attacker = await ctx.attacker();
      const fetched = await attacker.request({ a: 'f', c: 'shared', d: 'honest' }, (m) => m['a'] === 'f' && m['d'] === 'honest');
      const v = (fetched['data'] as { v: number }).v;
      // If this were acked, the honest editor's own next op would be dropped as "already submitted": the driver's
      // convergence check (every acked increment counted once) would catch it.
      return { code: await attacker.submit({ c: 'shared', d: 'honest', v, src: ctx.honestId(), seq: ctx.honestSeq(), op: [{ p: ['n'], na: 1000 }] }) };
    },
  },
  {
    name: "a handshake resuming another user's connection id", category: 'identity', expected: 'ERR_FORBIDDEN',
    run: async (ctx) => {
      const target = await ctx.target('json0', { n: 1 });
      const attacker = await ctx.attacker();
      const stolen = ctx.honestId();
      const hs = await attacker.request({ a: 'hs', id: stolen, protocol: 1, protocolMinor: 2 }, (m) => m['a'] === 'hs');
      if (hs['id'] === stolen) return { code: 'resumed another user\'s id' };
      attacker.id = hs['id'] as string;
      return {
        code: await attacker.submit({ c: target.collection, d: target.id, v: target.v, src: stolen, seq: 1, op: [{ p: ['n'], na: 1 }] }),
        note: 'issued a fresh id; an op with the stolen src refused',
      };
    },
  },
  {
    name: 'a handshake with a forged id (right shape, wrong HMAC)', category: 'identity', expected: 'fresh id',
    run: async (ctx) => {
      const attacker = await ctx.attacker();
      const [random] = ctx.honestId().split('.');
      const forged = `${random}.${'A'.repeat(43)}`;
      const hs = await attacker.request({ a: 'hs', id: forged, protocol: 1, protocolMinor: 2 }, (m) => m['a'] === 'hs');
      return { code: typeof hs['id'] === 'string' && hs['id'] !== forged ? 'fresh id' : `kept ${String(hs['id'])}` };
    },
  },
];
