import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateGate } from '../../../server/dist/transport/websocket/rate-gate.js';

function harness(opsPerSec: number, options: { abuseAfterMs?: number; maxQueued?: number } = {}) {
  const delivered: number[] = [];
  const events: string[] = [];
  let abusedWith: number | undefined;
  const gate = new RateGate({ opsPerSec, presencePerSec: 0, ...options }, {
    pause: () => events.push('pause'),
    resume: () => events.push('resume'),
    deliver: (m) => delivered.push(m['n'] as number),
    abuse: (ms) => (abusedWith = ms),
  });
  return { gate, delivered, events, abused: () => abusedWith };
}

describe('RateGate', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('passes a burst of one second, then delays the rest in order without dropping any', () => {
    const { gate, delivered, events } = harness(10);
    for (let n = 0; n < 30; n++) gate.push({ a: 'op', n });
    expect(delivered).toEqual([...Array(10).keys()]);
    expect(events).toEqual(['pause']);
    vi.advanceTimersByTime(1000);
    expect(delivered.length).toBeGreaterThanOrEqual(19);
    expect(delivered.length).toBeLessThanOrEqual(21);
    vi.advanceTimersByTime(1100);
    expect(delivered).toEqual([...Array(30).keys()]);
    expect(events).toEqual(['pause', 'resume']);
  });

  it('never delays messages other than ops and presence', () => {
    const { gate, delivered } = harness(1);
    gate.push({ a: 'op', n: 0 });
    for (let n = 1; n <= 100; n++) gate.push({ a: 's', n });
    // The subscribe messages queue behind the waiting op only if the op waits; here the op passed.
    expect(delivered.length).toBe(101);
  });

  it('counts presence requests as presence: each one makes every other subscriber send its presence again', () => {
    const delivered: string[] = [];
    const gate = new RateGate({ opsPerSec: 0, presencePerSec: 2 }, {
      pause: () => undefined, resume: () => undefined, deliver: (m) => delivered.push(m['a'] as string), abuse: () => undefined,
    });
    for (let n = 0; n < 3; n++) gate.push({ a: 'pr', ch: 'notes.a' });
    gate.push({ a: 'p', ch: 'notes.a' });
    expect(delivered).toEqual(['pr', 'pr']);
    vi.advanceTimersByTime(1000);
    expect(delivered).toEqual(['pr', 'pr', 'pr', 'p']);
  });

  it('keeps order: a fetch behind a throttled op waits for it', () => {
    const { gate, delivered } = harness(1);
    gate.push({ a: 'op', n: 0 });
    gate.push({ a: 'op', n: 1 });
    gate.push({ a: 'f', n: 2 });
    expect(delivered).toEqual([0]);
    vi.advanceTimersByTime(1001);
    expect(delivered).toEqual([0, 1, 2]);
  });

  it('ends only sustained abuse, with a retry-after delay', () => {
    const { gate, abused } = harness(10, { abuseAfterMs: 3000 });
    for (let second = 0; second < 5 && abused() === undefined; second++) {
      for (let n = 0; n < 40; n++) gate.push({ a: 'op', n });
      vi.advanceTimersByTime(1000);
    }
    expect(abused()).toBe(5000);
  });

  it('counts an overflowing backlog as abuse at once', () => {
    const { gate, abused } = harness(1, { maxQueued: 50 });
    for (let n = 0; n < 60; n++) gate.push({ a: 'op', n });
    expect(abused()).toBe(5000);
  });
});
