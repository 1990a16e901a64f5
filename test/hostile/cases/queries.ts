/**
 * Queries outside the operator allowlist are refused with ERR_BAD_REQUEST wherever the operator appears, and
 * `$regex` is bounded (length, nested quantifiers). An allowed query with a huge `$limit` is capped.
 */
import type { HostileCase, HostileContext, Outcome } from '../case.js';

async function queryCode(ctx: HostileContext, q: unknown, action: 'qf' | 'qs' = 'qf'): Promise<Outcome> {
  const attacker = await ctx.attacker();
  const started = Date.now();
  const { code } = await attacker.query({ a: action, c: 'docs', q });
  return { code, note: `answered in ${Date.now() - started} ms` };
}

export const queryCases: HostileCase[] = [
  {
    name: '$where with JavaScript', category: 'queries', expected: 'ERR_BAD_REQUEST',
    run: (ctx) => queryCode(ctx, { $where: 'while(true){}' }),
  },
  {
    name: '$function inside $expr', category: 'queries', expected: 'ERR_BAD_REQUEST',
    run: (ctx) => queryCode(ctx, { $expr: { $function: { body: 'function(){while(true){}}', args: [], lang: 'js' } } }),
  },
  {
    name: '$expr comparing fields', category: 'queries', expected: 'ERR_BAD_REQUEST',
    run: (ctx) => queryCode(ctx, { $expr: { $gt: ['$a', '$b'] } }),
  },
  {
    name: '$where nested in $elemMatch inside $or (subscribed)', category: 'queries', expected: 'ERR_BAD_REQUEST',
    run: (ctx) => queryCode(ctx, { $or: [{ title: 'x' }, { items: { $elemMatch: { $where: 'sleep(5000)' } } }] }, 'qs'),
  },
  {
    name: '$aggregate with a $lookup stage', category: 'queries', expected: 'ERR_BAD_REQUEST',
    run: (ctx) => queryCode(ctx, { $aggregate: [{ $lookup: { from: 'users', as: 'u' } }] }),
  },
  {
    name: 'a $regex bomb with nested quantifiers (a+)+$', category: 'queries', expected: 'ERR_BAD_REQUEST',
    run: (ctx) => queryCode(ctx, { title: { $regex: '^(a+)+$' } }),
  },
  {
    name: 'a $regex of 10000 characters', category: 'queries', expected: 'ERR_BAD_REQUEST',
    run: (ctx) => queryCode(ctx, { title: { $regex: 'a?'.repeat(5000) + 'a'.repeat(5000) } }),
  },
  {
    name: 'a field path through __proto__', category: 'queries', expected: 'ERR_BAD_REQUEST',
    run: (ctx) => queryCode(ctx, { '__proto__.polluted': { $exists: false } }),
  },
  {
    name: 'an allowed query with $limit 1e9 is capped and answered', category: 'queries', expected: 'ok',
    run: async (ctx) => {
      const attacker = await ctx.attacker();
      const { code, reply } = await attacker.query({ a: 'qf', c: 'docs', q: { $limit: 1e9, title: { $exists: true } } });
      return { code, note: `${(reply['data'] as unknown[] | undefined)?.length ?? 0} results` };
    },
  },
];
