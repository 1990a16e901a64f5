/**
 * LiveStatus's per-document counts on a stand-in engine and fake timers: a commit counts for the hottest list for
 * exactly one window (60 ticks of the status clock), and documents quiet for a window are dropped.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveStatus } from '../../../server/dist/observability/live-status.js';
import type { Engine } from '../../../server/dist/engine/engine.js';

function setup() {
  let afterWrite: ((context: unknown, next: () => void) => void) | undefined;
  const engine = {
    onSubmit: () => undefined,
    backend: { use: (action: string, fn: typeof afterWrite) => void (action === 'afterWrite' && (afterWrite = fn)) },
    submitsInFlight: 0,
    stats: { toJSON: () => ({}) },
  };
  const status = new LiveStatus(engine as unknown as Engine, () => ({ count: 0, users: 0, bufferedBytes: 0 }));
  const commit = (id: string, n = 1): void => {
    for (let i = 0; i < n; i++) afterWrite!({ collection: 'notes', id, op: { v: 0 }, start: Date.now() }, () => undefined);
  };
  const hottest = () => status.report().hottest.map((d) => `${d.id}:${d.opsLastMinute}`);
  const tracked = () => (status as unknown as { perDoc: { size: number } }).perDoc.size;
  return { status, commit, hottest, tracked };
}

describe('LiveStatus', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('counts a document’s commits of the last minute, hottest first, at most ten', () => {
    const { status, commit, hottest } = setup();
    commit('a', 3);
    vi.advanceTimersByTime(1000);
    commit('b', 5);
    commit('a', 1);
    for (let i = 0; i < 12; i++) commit(`x${i}`);
    expect(hottest().slice(0, 2)).toEqual(['b:5', 'a:4']);
    expect(hottest()).toHaveLength(10);
    status.stop();
  });

  it('forgets a second’s commits 60 ticks later, however often the report is read', () => {
    const { status, commit, hottest, tracked } = setup();
    commit('a', 2);
    vi.advanceTimersByTime(1000);
    commit('a', 1);
    for (let t = 0; t < 58; t++) {
      vi.advanceTimersByTime(1000);
      expect(hottest()).toEqual(['a:3']);
    }
    vi.advanceTimersByTime(1000); // 60 ticks after the first commits
    expect(hottest()).toEqual(['a:1']);
    vi.advanceTimersByTime(1000);
    expect(hottest()).toEqual([]);
    // Dropped at the next window boundary, although the report kept reading it.
    vi.advanceTimersByTime(60_000);
    expect(tracked()).toBe(0);
    status.stop();
  });
});
