/**
 * Per-connection rate limits enforced by reading more slowly. Each kind of message (ops, presence) has a token
 * bucket; a message that finds its bucket empty waits, and the socket stops being read until it can pass, so TCP
 * backpressure slows the sender down. Nothing is rejected for rate alone: a rejected op makes a stock client drop
 * its pending edits. Only sustained abuse (a backlog held for `abuseAfterMs`) ends the connection, with 4429.
 */
export type MessageKind = 'op' | 'presence' | 'other';

export interface RateGateOptions {
  /** Ops per second; 0 = unlimited. */
  opsPerSec: number;
  /** Presence updates per second; 0 = unlimited. */
  presencePerSec: number;
  /** A backlog that lasts this long is abuse. Default 10 s. */
  abuseAfterMs?: number;
  /** Messages queued at most before the connection counts as abusive at once. Default 1000. */
  maxQueued?: number;
}

export interface GateHooks {
  /** Stop / resume reading the socket. */
  pause(): void;
  resume(): void;
  /** Deliver a message that may pass now. */
  deliver(message: Record<string, unknown>): void;
  /** Sustained abuse: end the connection, telling the client how long to wait. */
  abuse(retryAfterMs: number): void;
  /** A message had to wait (for metrics and logs). */
  slowed?(kind: MessageKind): void;
}

class Bucket {
  private tokens: number;
  private last = Date.now();
  constructor(private readonly perSec: number) {
    this.tokens = Math.max(1, perSec); // one second of burst
  }
  /** Milliseconds until a token is available (0 = take it now). */
  take(): number {
    if (this.perSec === 0) return 0;
    const now = Date.now();
    this.tokens = Math.min(Math.max(1, this.perSec), this.tokens + ((now - this.last) * this.perSec) / 1000);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.perSec);
  }
}

export class RateGate {
  private readonly buckets: Record<MessageKind, Bucket>;
  private readonly queue: Array<{ kind: MessageKind; message: Record<string, unknown> }> = [];
  private readonly abuseAfterMs: number;
  private readonly maxQueued: number;
  private backlogSince = 0;
  private drainedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: RateGateOptions, private readonly hooks: GateHooks) {
    this.buckets = { op: new Bucket(options.opsPerSec), presence: new Bucket(options.presencePerSec), other: new Bucket(0) };
    this.abuseAfterMs = options.abuseAfterMs ?? 10_000;
    this.maxQueued = options.maxQueued ?? 1000;
  }

  /** Passes a message on now, or queues it (in order) and pauses reading until its turn. */
  push(message: Record<string, unknown>): void {
    if (this.stopped) return;
    const kind = kindOf(message);
    if (this.queue.length === 0 && this.buckets[kind].take() === 0) return this.hooks.deliver(message);
    this.queue.push({ kind, message });
    if (this.queue.length === 1) {
      // A sender that is throttled again within a second of draining has been throttled all along.
      if (Date.now() - this.drainedAt > 1000) this.backlogSince = Date.now();
      this.hooks.pause();
      this.hooks.slowed?.(kind);
      this.schedule();
    }
    if (this.queue.length > this.maxQueued) this.endForAbuse();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.queue.length = 0;
  }

  private schedule(): void {
    const head = this.queue[0];
    if (!head) return;
    const wait = this.buckets[head.kind].take();
    if (wait === 0) {
      this.queue.shift();
      this.hooks.deliver(head.message);
      if (this.queue.length === 0) {
        this.drainedAt = Date.now();
        return this.hooks.resume();
      }
      return this.schedule();
    }
    if (Date.now() - this.backlogSince > this.abuseAfterMs) return this.endForAbuse();
    this.timer = setTimeout(() => this.schedule(), wait);
  }

  private endForAbuse(): void {
    this.stop();
    this.hooks.abuse(5_000);
  }
}

function kindOf(message: Record<string, unknown>): MessageKind {
  if (message['a'] === 'op') return 'op';
  // A presence request ('pr') makes every other subscriber of the channel send its presence again, and so does a
  // presence subscription ('ps': the server asks on the subscriber's behalf): they count as presence, or one client
  // could make a whole document's clients flood each other.
  if (message['a'] === 'p' || message['a'] === 'pr' || message['a'] === 'ps') return 'presence';
  return 'other';
}
