import { describe, expect, it } from 'vitest';
import { Coalescer, type Clock } from '@concord/client';

/** A manual clock: time moves only when the test says. */
class ManualClock implements Clock {
  time = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 1;
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.time = next.at;
      this.timers = this.timers.filter((t) => t !== next);
      next.fn();
    }
    this.time = end;
  }
}

describe('presence coalescing', () => {
  it('sends at most 20 updates a second however fast the pointer moves, ending on the last position', () => {
    const clock = new ManualClock();
    const sent: Array<{ at: number; x: number }> = [];
    const coalescer = Coalescer.perSecond<number>((x) => sent.push({ at: clock.now(), x }), 20, clock);
    for (let i = 0; i < 1000; i++) {
      coalescer.push(i);
      clock.advance(1); // a pointer event every millisecond for one second
    }
    clock.advance(100);
    expect(sent.length).toBeLessThanOrEqual(21);
    expect(sent.length).toBeGreaterThanOrEqual(19);
    for (let i = 1; i < sent.length; i++) expect((sent[i]?.at ?? 0) - (sent[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(50);
    expect(sent.at(-1)?.x).toBe(999);
    // In any one-second window no more than 20 updates.
    for (const s of sent) expect(sent.filter((t) => t.at >= s.at && t.at < s.at + 1000).length).toBeLessThanOrEqual(20);
  });

  it('sends the first update at once and a lone later one without waiting', () => {
    const clock = new ManualClock();
    const sent: number[] = [];
    const coalescer = new Coalescer<number>((x) => sent.push(x), 50, clock);
    coalescer.push(1);
    expect(sent).toEqual([1]);
    clock.advance(500);
    coalescer.push(2);
    expect(sent).toEqual([1, 2]);
  });

  it('flush sends the pending value now; cancel drops it', () => {
    const clock = new ManualClock();
    const sent: number[] = [];
    const coalescer = new Coalescer<number>((x) => sent.push(x), 50, clock);
    coalescer.push(1);
    coalescer.push(2);
    coalescer.flush();
    coalescer.push(3);
    coalescer.cancel();
    clock.advance(200);
    expect(sent).toEqual([1, 2]);
  });
});
