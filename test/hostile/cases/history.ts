/**
 * History reads with versions and times that are far ahead, negative or garbage: over the WebSocket (ShareDB's
 * snapshot fetch by version `nf` and by time `nt`) and over REST (`?version`, `?at`, `/ops?from&to`). Each gets its
 * documented error, and op ranges are bounded to 1000 per call.
 */
import { http, restCode } from '../attacker.js';
import type { HostileCase, HostileContext, Outcome, Target } from '../case.js';

async function wsRead(ctx: HostileContext, target: Target, fields: Record<string, unknown>): Promise<Outcome> {
  const attacker = await ctx.attacker();
  const { code } = await attacker.query({ c: target.collection, d: target.id, ...fields } as Record<string, unknown>);
  return { code };
}

async function restRead(ctx: HostileContext, path: string): Promise<Outcome> {
  const res = await http(`${ctx.server.httpUrl}${path}`, { headers: { authorization: `Bearer ${await ctx.token('mallory')}` } });
  return { code: restCode(res), note: `HTTP ${res.status}` };
}

export const historyCases: HostileCase[] = [
  {
    name: 'WebSocket snapshot fetch at a version far ahead', category: 'history', expected: 'ERR_VERSION_AHEAD',
    run: async (ctx) => wsRead(ctx, await ctx.target('json0', { a: 1 }), { a: 'nf', v: 1e9 }),
  },
  {
    name: 'WebSocket snapshot fetch at version -1', category: 'history', expected: 'ERR_MESSAGE_BADLY_FORMED',
    run: async (ctx) => wsRead(ctx, await ctx.target('json0', { a: 1 }), { a: 'nf', v: -1 }),
  },
  {
    name: 'WebSocket snapshot fetch by a timestamp that is a string', category: 'history', expected: 'ERR_MESSAGE_BADLY_FORMED',
    run: async (ctx) => wsRead(ctx, await ctx.target('json0', { a: 1 }), { a: 'nt', ts: '1970-01-01; DROP TABLE' }),
  },
  {
    name: 'REST read at ?version far ahead', category: 'history', expected: 'ERR_VERSION_AHEAD',
    run: async (ctx) => restRead(ctx, `/api/docs/docs/${(await ctx.target('json0', { a: 1 })).id}?version=999999999`),
  },
  {
    name: 'REST read at ?version=-5', category: 'history', expected: 'ERR_BAD_REQUEST',
    run: async (ctx) => restRead(ctx, `/api/docs/docs/${(await ctx.target('json0', { a: 1 })).id}?version=-5`),
  },
  {
    name: 'REST read at ?at=garbage', category: 'history', expected: 'ERR_BAD_REQUEST',
    run: async (ctx) => restRead(ctx, `/api/docs/docs/${(await ctx.target('json0', { a: 1 })).id}?at=yesterday%27%20OR%201=1`),
  },
  {
    name: 'REST read at ?at=1e400 (not a safe integer)', category: 'history', expected: 'ERR_BAD_REQUEST',
    run: async (ctx) => restRead(ctx, `/api/docs/docs/${(await ctx.target('json0', { a: 1 })).id}?at=1e400`),
  },
  {
    name: 'REST op range from=0&to=999999999999999 is bounded', category: 'history', expected: 'ok',
    run: async (ctx) => {
      const target = await ctx.target('json0', { a: 1 });
      const res = await http(`${ctx.server.httpUrl}/api/docs/docs/${target.id}/ops?from=0&to=999999999999999`, {
        headers: { authorization: `Bearer ${await ctx.token('mallory')}` },
      });
      const ops = res.body['ops'] as unknown[] | undefined;
      return { code: res.status === 200 && Array.isArray(ops) && ops.length <= 1000 ? 'ok' : restCode(res), note: `${ops?.length} ops` };
    },
  },
];
