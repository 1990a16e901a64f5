/**
 * The op clock behind the latency metrics: sub-millisecond stamps that JSON never carries (submit) or that survive
 * ShareDB's shallow copy per subscriber and Redis's JSON (commit).
 */
import { describe, expect, it } from 'vitest';
import {
  msSinceCommitted, msSinceSubmitted, stampCommitted, stampSubmitted, wallClockMs,
} from '../../../server/dist/engine/op-clock.js';

/** ShareDB's Agent copies each published op like this before it sends it to one subscriber. */
function shallowCopy(object: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in object) if (Object.hasOwn(object, key)) out[key] = (object as Record<string, unknown>)[key];
  return out;
}

const fractional = (ms: number): boolean => Math.abs(ms - Math.round(ms)) > 1e-9;

describe('op clock', () => {
  it('times a submit from its own stamp, not from a millisecond start, and never serializes the stamp', () => {
    const op = { v: 3, op: ['n', { ena: 1 }] };
    stampSubmitted(op);
    // A start 10 s in the past would dominate if the stamp were ignored.
    const ms = msSinceSubmitted(op, Date.now() - 10_000);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(1000);
    expect(JSON.stringify(op)).toBe('{"v":3,"op":["n",{"ena":1}]}');
  });

  it('falls back to the millisecond start for an op stamped elsewhere', () => {
    const ms = msSinceSubmitted({ v: 0 }, Date.now() - 5_000);
    expect(ms).toBeGreaterThanOrEqual(5_000);
    expect(ms).toBeLessThan(6_000);
  });

  it('stamps the commit as a fractional wall clock that survives a shallow copy and JSON', () => {
    const op: Record<string, unknown> = { v: 1 };
    stampCommitted(op);
    const ct = op['ct'] as number;
    expect(Math.abs(ct - Date.now())).toBeLessThan(50);
    const viaRedis = JSON.parse(JSON.stringify(shallowCopy(op))) as Record<string, unknown>;
    expect(viaRedis['ct']).toBe(ct);
    const samples = Array.from({ length: 20 }, () => msSinceCommitted(viaRedis)!);
    for (const ms of samples) expect(ms).toBeGreaterThanOrEqual(0);
    // A millisecond clock would give whole numbers only.
    expect(samples.some(fractional)).toBe(true);
  });

  it('answers undefined for an op without a commit stamp, and never a negative time', () => {
    expect(msSinceCommitted({ v: 1 })).toBeUndefined();
    expect(msSinceCommitted({ v: 1, ct: wallClockMs() + 60_000 })).toBe(0);
  });
});
