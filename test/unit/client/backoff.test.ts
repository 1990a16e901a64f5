import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffCeiling, backoffDelay, DEFAULT_BACKOFF, ReconnectPolicy } from '@concord/client';

describe('backoff with jitter', () => {
  it('doubles from the initial delay up to the cap', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 10, 50, 2000].map((n) => backoffCeiling(n));
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000, 15_000, 15_000]);
  });

  it('jitters every delay within [ceiling / 2, ceiling]', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
      const delay = backoffDelay(attempt, DEFAULT_BACKOFF, () => r);
      const ceiling = backoffCeiling(attempt);
      return delay >= ceiling / 2 && delay <= ceiling;
    }));
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0)).toBe(250);
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 1)).toBe(500);
  });

  it('spreads clients out: a thousand first retries are not all alike', () => {
    const delays = new Set(Array.from({ length: 1000 }, () => Math.round(backoffDelay(3))));
    expect(delays.size).toBeGreaterThan(500);
  });
});

describe('ReconnectPolicy', () => {
  const options = { initialMs: 100, maxMs: 1000, factor: 2 };

  it('grows the delay with each failed attempt and starts over once online', () => {
    const policy = new ReconnectPolicy(options, () => 1);
    const delays = [1, 2, 3, 4, 5].map(() => policy.closed(1006, ''));
    expect(delays.map((d) => (d.kind === 'reconnect' ? d.delayMs : -1))).toEqual([100, 200, 400, 800, 1000]);
    policy.online();
    expect(policy.closed(1001, 'ERR_SHUTTING_DOWN')).toMatchObject({ kind: 'reconnect', delayMs: 100 });
  });

  it('waits the retry-after of a 4429 plus jitter, or the cap when the reason has none', () => {
    const policy = new ReconnectPolicy(options, () => 0.5);
    expect(policy.closed(4429, 'retry-after=2500')).toMatchObject({ kind: 'reconnect', delayMs: 2550 });
    expect(policy.closed(4429, 'ERR_RATE_LIMITED')).toMatchObject({ kind: 'reconnect', delayMs: 1050 });
  });

  it('reports the catalogue error of a stopping close', () => {
    const policy = new ReconnectPolicy(options);
    const decision = policy.closed(1009, '');
    expect(decision.kind).toBe('stop');
    expect(decision.kind === 'stop' && decision.error.code).toBe('ERR_MESSAGE_TOO_BIG');
    expect(decision.kind === 'stop' && decision.error.details).toEqual({ closeCode: 1009 });
  });
});
