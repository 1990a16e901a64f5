/**
 * Floods and slow consumers: an op flood and a presence flood are slowed down (read more slowly), never rejected;
 * a sender that stays over its rate is closed with 4429; a reader that lets its outbound buffer fill is closed with
 * 1013; connections beyond LIMIT_CONNECTIONS_PER_IP get 429 at the upgrade. The honest clients' latency is checked by
 * the driver throughout.
 */
import { Attacker, probeUpgrade } from '../attacker.js';
import type { HostileCase } from '../case.js';
import { sleep } from '../case.js';

export const floodCases: HostileCase[] = [
  {
    // Each op on its own document (here: creates), so that the cost is the rate's alone. The same flood aimed at one
    // document from one stale base version is left out: see STALE_BASE_FLOOD below.
    name: 'an op flood of 3 s worth of creates at once is slowed, and every op applied', category: 'floods', expected: 'slowed',
    run: async (ctx) => {
      const count = ctx.opsPerSec * 3;
      const attacker = await ctx.attacker();
      const prefix = `flood-${Date.now().toString(36)}`;
      const started = Date.now();
      const codes = await Promise.all(Array.from({ length: count }, (_, i) =>
        attacker.create('docs', `${prefix}-${i}`, 'json0', { i })));
      const elapsed = Date.now() - started;
      const rejected = codes.filter((c) => c !== 'ok');
      // One second of burst, then the rate: at least (count - rate) / rate seconds, with slack for timer jitter.
      const minimum = ((count - ctx.opsPerSec) / ctx.opsPerSec) * 1000 * 0.8;
      const code = rejected.length > 0 ? `rejected ${rejected[0]}` : elapsed >= minimum ? 'slowed' : 'not slowed';
      return { code, note: `${count} ops acked in ${elapsed} ms (at least ${Math.round(minimum)} ms expected)` };
    },
  },
  {
    name: 'a presence flood of 150 updates is slowed, none rejected', category: 'floods', expected: 'slowed',
    run: async (ctx) => {
      const target = await ctx.target('text-unicode', 'cursor playground');
      const attacker = await ctx.attacker();
      const ch = `${target.collection}.${target.id}`;
      const started = Date.now();
      for (let pv = 0; pv < 150; pv++) {
        attacker.send({ a: 'p', ch, id: 'flood', pv, c: target.collection, d: target.id, v: target.v, p: { index: pv % 10, length: 0 } });
      }
      await attacker.raw.next((m) => m['a'] === 'p' && m['pv'] === 149, 'the last presence reply', 30_000);
      const elapsed = Date.now() - started;
      const errors = attacker.raw.messages.filter((m) => m['a'] === 'p' && m['error'] !== undefined).length;
      // 50/s with one second of burst: 150 updates take about two seconds.
      return { code: errors > 0 ? `${errors} rejected` : elapsed >= 1500 ? 'slowed' : 'not slowed', note: `150 updates in ${elapsed} ms` };
    },
  },
  {
    name: 'sustained op abuse (3000 creates at once, 15 s worth) is closed after 10 s', category: 'floods', expected: 4429,
    run: async (ctx) => {
      const attacker = await ctx.attacker();
      const prefix = `abuse-${Date.now().toString(36)}`;
      const started = Date.now();
      for (let i = 0; i < 3000; i++) {
        attacker.send({ a: 'op', c: 'docs', d: `${prefix}-${i}`, v: null, src: attacker.id, seq: attacker.nextSeq(),
          create: { type: 'http://sharejs.org/types/JSONv0', data: { i } } });
      }
      const { code, reason } = await attacker.raw.closed;
      const acked = attacker.raw.messages.filter((m) => m['a'] === 'op' && m['error'] === undefined).length;
      const rejected = attacker.raw.messages.filter((m) => m['a'] === 'op' && m['error'] !== undefined).length;
      return { code: rejected > 0 ? `${rejected} rejected` : code, note: `reason "${reason}" after ${Date.now() - started} ms, ${acked} ops acked before` };
    },
  },
  {
    name: 'a reader that stops reading while asking for 20 MB of fetches', category: 'floods', expected: 1013,
    run: async (ctx) => {
      const target = await ctx.target('json0', { blob: 'b'.repeat(200_000) });
      const attacker = await ctx.attacker();
      attacker.raw.tcp().pause();
      for (let i = 0; i < 100; i++) attacker.send({ a: 'f', c: target.collection, d: target.id });
      // Short of two heartbeat intervals: a paused peer also misses pings and would be reaped (1006) instead.
      await sleep(1_000);
      attacker.raw.tcp().resume();
      const fetched = (await attacker.raw.closed, attacker.raw.messages.filter((m) => m['a'] === 'f').length);
      return { code: await attacker.closedWith(), note: `${fetched} of 100 fetch replies delivered before the close` };
    },
  },
  {
    name: 'more connections from one address than LIMIT_CONNECTIONS_PER_IP', category: 'floods', expected: 429,
    run: async (ctx) => {
      const token = await ctx.token('mallory');
      const opened: Attacker[] = [];
      ctx.defer(() => opened.forEach((a) => a.close()));
      let refused: number | 'open' = 'open';
      // The honest clients already hold connections from this address; 256 is the default limit.
      for (let i = 0; i < 300 && refused === 'open'; i += 20) {
        const batch = await Promise.allSettled(Array.from({ length: 20 }, () => Attacker.open(ctx.server.wsUrl, token)));
        for (const r of batch) if (r.status === 'fulfilled') opened.push(r.value);
        if (batch.some((r) => r.status === 'rejected')) refused = await probeUpgrade(ctx.server.wsUrl, { authorization: `Bearer ${token}` });
      }
      return { code: refused, note: `${opened.length} connections opened before the refusal` };
    },
  },
];

/**
 * Left out of the suite (a server bug, reported): ops sent back to back from one stale base version of one document.
 * Each is transformed over every op committed since that version, and ShareDB sends the submitter each of those ops
 * again, so n ops cost O(n^2): 100 such ops (half a second of LIMIT_OPS_PER_SEC) stalled the event loop for ~0.7 s
 * and sent back 5000 messages; 600 stalled it for ~2.5 s at a time and had not finished after 20 s.
 */
