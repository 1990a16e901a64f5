/**
 * Presence withdrawals told again to a client that asks. A stock ShareDB client holds a remote doc-presence update
 * until it matches its copy of the document; a withdrawal (null presence) that arrives older than that copy (the
 * client's own op was acknowledged meanwhile, which happens whenever someone leaves while someone else types) is
 * "stale", and the client asks everyone on the channel to send their presence again (a presence request, `pr`).
 * Senders send again only non-null presence, so nobody answers for the one who left, and the client would show the
 * departed cursor until it reloads. This remembers the withdrawals this instance has seen (its own clients' and,
 * through the pub/sub, the other instances'), for `ttlMs`, and answers a presence request with those of its channel,
 * stamped at the document's current version, which the client then applies.
 *
 * The answer goes through ShareDB's own delivery path for presence (`sendPresence` middleware: only to a client
 * that may read the document) and only to the client that asked, and only while it subscribes to that channel.
 */
import type ShareDB from 'sharedb';
import type { EngineAgent, PresenceMessage } from './middleware.js';
import { tapPresence } from './pubsub-tap.js';

type Withdrawal = PresenceMessage & { pv?: number; src?: string };

interface Remembered {
  readonly message: Withdrawal;
  readonly at: number;
}

interface AgentInternals {
  subscribedPresences: Record<string, unknown>;
  _handlePresenceData(presence: Withdrawal): void;
}

export interface WithdrawalEchoOptions {
  /** How long a withdrawal is remembered. Default 30 s. */
  readonly ttlMs?: number;
  /** Withdrawals remembered at most (the oldest are forgotten first). Default 10,000. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export class WithdrawalEcho {
  /** `channel \n presence id` → its latest withdrawal, oldest first (a newer one is moved to the end). */
  private readonly remembered = new Map<string, Remembered>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(private readonly backend: ShareDB, options: WithdrawalEchoOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    tapPresence(backend.pubsub, (message) => this.observe(message as Withdrawal));
  }

  /** Withdrawals currently remembered. */
  get size(): number {
    return this.remembered.size;
  }

  /**
   * A client asked for the presence on `channel` again: sends it the recent withdrawals there. Presence requests
   * come only from clients that found a withdrawal stale, and are rate-limited as presence, so scanning what is
   * remembered (at most `maxEntries`) is cheap enough.
   */
  answer(agent: EngineAgent, channel: string): void {
    this.expire();
    const internals = agent as unknown as AgentInternals;
    if (!internals.subscribedPresences[channel]) return;
    const withdrawals: Withdrawal[] = [];
    for (const { message } of this.remembered.values()) {
      if (message.ch === channel && message.c !== undefined && message.d !== undefined) withdrawals.push(message);
    }
    if (withdrawals.length === 0) return;
    const { c, d } = withdrawals[0]!;
    this.backend.db.getSnapshot(c!, d!, null, null, (err: unknown, snapshot?: { v: number }) => {
      if (err || !snapshot || agent.closed) return;
      for (const message of withdrawals) internals._handlePresenceData({ ...message, v: snapshot.v });
    });
  }

  private observe(message: Withdrawal): void {
    if (typeof message.ch !== 'string' || typeof message.id !== 'string' || message.r) return;
    const key = `${message.ch}\n${message.id}`;
    const known = this.remembered.get(key);
    if (message.p !== null) {
      if (known && (message.pv ?? 0) >= (known.message.pv ?? 0)) this.remembered.delete(key);
      return;
    }
    if (known && (message.pv ?? 0) < (known.message.pv ?? 0)) return;
    this.remembered.delete(key);
    this.remembered.set(key, { message: { ...message }, at: this.now() });
    this.expire();
  }

  /** Forgets what is older than ttlMs, and the oldest beyond maxEntries. */
  private expire(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [key, { at }] of this.remembered) {
      if (at > cutoff && this.remembered.size <= this.maxEntries) break;
      this.remembered.delete(key);
    }
  }
}
