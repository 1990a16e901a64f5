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

const PRESENCE_PREFIX = '$presence.';

type Withdrawal = PresenceMessage & { pv?: number; src?: string };

interface Remembered {
  readonly message: Withdrawal;
  readonly at: number;
}

interface PubSubInternals {
  _emit(channel: string, data: unknown): void;
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
  /** Channel → presence id → the latest withdrawal; Map order is the order they were remembered in. */
  private readonly byChannel = new Map<string, Map<string, Remembered>>();
  private readonly order: Array<{ channel: string; id: string; at: number }> = [];
  private head = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(private readonly backend: ShareDB, options: WithdrawalEchoOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    const pubsub = backend.pubsub as unknown as PubSubInternals;
    const emit = pubsub._emit.bind(pubsub);
    pubsub._emit = (channel, data) => {
      if (channel.startsWith(PRESENCE_PREFIX)) this.observe(data as Withdrawal);
      emit(channel, data);
    };
  }

  /** Withdrawals currently remembered. */
  get size(): number {
    let n = 0;
    for (const ids of this.byChannel.values()) n += ids.size;
    return n;
  }

  /** A client asked for the presence on `channel` again: sends it the recent withdrawals there. */
  answer(agent: EngineAgent, channel: string): void {
    this.expire();
    const ids = this.byChannel.get(channel);
    const internals = agent as unknown as AgentInternals;
    if (!ids || !internals.subscribedPresences[channel]) return;
    const withdrawals = [...ids.values()].map((entry) => entry.message).filter((m) => m.c !== undefined && m.d !== undefined);
    if (withdrawals.length === 0) return;
    const { c, d } = withdrawals[0]!;
    this.backend.db.getSnapshot(c!, d!, null, null, (err: unknown, snapshot?: { v: number }) => {
      if (err || !snapshot || agent.closed) return;
      for (const message of withdrawals) internals._handlePresenceData({ ...message, v: snapshot.v });
    });
  }

  private observe(message: Withdrawal): void {
    if (typeof message.ch !== 'string' || typeof message.id !== 'string' || message.r) return;
    const ids = this.byChannel.get(message.ch);
    const known = ids?.get(message.id);
    if (message.p !== null) {
      if (known && (message.pv ?? 0) >= (known.message.pv ?? 0)) this.forget(message.ch, message.id);
      return;
    }
    if (known && (message.pv ?? 0) < (known.message.pv ?? 0)) return;
    const at = this.now();
    const channel = ids ?? new Map<string, Remembered>();
    if (!ids) this.byChannel.set(message.ch, channel);
    channel.delete(message.id);
    channel.set(message.id, { message: { ...message }, at });
    this.order.push({ channel: message.ch, id: message.id, at });
    this.expire();
  }

  /** Forgets what is older than ttlMs, and the oldest beyond maxEntries. */
  private expire(): void {
    const cutoff = this.now() - this.ttlMs;
    while (this.head < this.order.length) {
      const oldest = this.order[this.head]!;
      if (oldest.at > cutoff && this.order.length - this.head <= this.maxEntries) break;
      this.head++;
      const entry = this.byChannel.get(oldest.channel)?.get(oldest.id);
      // A later withdrawal of the same id has its own place in the order.
      if (entry && entry.at === oldest.at) this.forget(oldest.channel, oldest.id);
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }

  private forget(channel: string, id: string): void {
    const ids = this.byChannel.get(channel);
    ids?.delete(id);
    if (ids?.size === 0) this.byChannel.delete(channel);
  }
}
