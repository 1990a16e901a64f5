/**
 * Rate-limits a stream of values to at most one send per `intervalMs`, always sending the latest value: the first
 * value goes out at once, later ones within the interval collapse into one trailing send at the interval's end.
 * Pointer and caret presence use it to stay under 20 updates a second without ever leaving a stale last position.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class Coalescer<T> {
  private readonly send: (value: T) => void;
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private pending: { value: T } | undefined;
  private timer: unknown;

  constructor(send: (value: T) => void, intervalMs: number, clock: Clock = REAL_CLOCK) {
    this.send = send;
    this.intervalMs = intervalMs;
    this.clock = clock;
  }

  /** At most `perSecond` sends a second. */
  static perSecond<T>(send: (value: T) => void, perSecond: number, clock: Clock = REAL_CLOCK): Coalescer<T> {
    return new Coalescer(send, 1000 / perSecond, clock);
  }

  push(value: T): void {
    this.pending = { value };
    if (this.timer !== undefined) return;
    const wait = this.lastSentAt + this.intervalMs - this.clock.now();
    if (wait <= 0) return this.flush();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  /** Sends the latest unsent value now (for values that must not wait, such as "gone"). */
  flush(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    this.lastSentAt = this.clock.now();
    this.send(pending.value);
  }

  /** Drops the unsent value. */
  cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}
