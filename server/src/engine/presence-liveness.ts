/**
 * Clearing the presence of instances that die. When a connection ends, ShareDB broadcasts a null presence for it;
 * when a whole instance is killed, nobody does, and its users' cursors would stay on every other instance forever.
 * Each instance stamps the presence it publishes with its id and publishes a heartbeat every `intervalMs` on the
 * shared pub/sub; each remembers the live presence of the others, and clears, for its own clients, the presence
 * of an instance whose heartbeat stopped for `timeoutMs`. Only meaningful with a shared pub/sub (Redis).
 *
 * Silence is checked every quarter of the interval (not once per interval), so a dead instance's presence is gone
 * within about `timeoutMs + intervalMs / 4` of its last heartbeat. An instance also hears its own heartbeat: while
 * that one does not come back either, it is this instance's pub/sub that is down (a Redis outage), not the others,
 * so nobody's presence is cleared then; when it comes back, every instance gets a fresh `timeoutMs` to be heard.
 */
import { randomUUID } from 'node:crypto';
import type ShareDB from 'sharedb';
import type { PresenceMessage } from './middleware.js';
import { PRESENCE_PREFIX, tapPresence } from './pubsub-tap.js';

const HEARTBEAT_CHANNEL = '$concord.instances';
/** How long the channels of an instance taken for dead are kept, in case it was only stalled. */
const FORGET_SILENCED_MS = 10 * 60_000;
const FORGET_EVERY = 1000;

interface PubSubInternals {
  streams: Record<string, unknown>;
  _emit(channel: string, data: unknown): void;
  publish(channels: string[], data: unknown, cb?: (err?: Error | null) => void): void;
  subscribe(channel: string, cb: (err: Error | null, stream?: NodeJS.EventEmitter & { destroy(): void }) => void): void;
}

type Stamped = PresenceMessage & { inst?: string; pv?: number };

export class PresenceLiveness {
  readonly instanceId = randomUUID();
  private readonly pubsub: PubSubInternals;
  private readonly lastSeen = new Map<string, number>();
  private readonly remote = new Map<string, Map<string, Stamped>>();
  /** The channels where an instance's presence was cleared for silence, until it is heard again (or forgotten). */
  private readonly silenced = new Map<string, { readonly channels: Set<string>; readonly at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** When this instance last heard its own heartbeat through the pub/sub. */
  private ownSeen = Date.now();
  private stream: { destroy(): void } | undefined;
  /** Presence messages of other instances remembered so far (every FORGET_EVERY, the unsubscribed are forgotten). */
  private tracked = 0;

  constructor(backend: ShareDB, private readonly intervalMs = 1000, private readonly timeoutMs = 3500) {
    this.pubsub = backend.pubsub as unknown as PubSubInternals;
    tapPresence(this.pubsub, (message) => this.track(message as Stamped));
  }

  /** Marks a presence message as published by this instance. */
  stamp(presence: PresenceMessage): void {
    (presence as Stamped).inst = this.instanceId;
  }

  start(): void {
    this.pubsub.subscribe(HEARTBEAT_CHANNEL, (err, stream) => {
      if (err || !stream) return;
      this.stream = stream;
      stream.on('data', (data: { inst?: unknown }) => {
        if (typeof data.inst !== 'string') return;
        const now = Date.now();
        if (data.inst !== this.instanceId) return this.heard(data.inst, now);
        // Deaf until now: what the others said meanwhile was lost, so start their clocks again.
        if (now - this.ownSeen >= this.timeoutMs) for (const inst of this.lastSeen.keys()) this.lastSeen.set(inst, now);
        this.ownSeen = now;
      });
    });
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    this.expiryTimer = setInterval(() => this.expire(), Math.max(1, Math.floor(this.intervalMs / 4)));
    this.expiryTimer.unref();
  }

  /** Presence of the other instances remembered. */
  get size(): number {
    let size = 0;
    for (const live of this.remote.values()) size += live.size;
    return size;
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.expiryTimer);
    this.stream?.destroy();
  }

  /**
   * After a pub/sub outage (the subscriber is back): what the others published meanwhile was lost to this instance,
   * withdrawals included, and a cursor whose withdrawal was lost would stay on its clients for good (its instance
   * lives on and keeps its heartbeat). So this clears, for its own clients, every other instance's presence it knew
   * of, then asks everyone on its presence channels to send theirs again: who is still there reappears, who left
   * does not. The request also reaches this instance's own clients, so the others hear what they missed from here.
   */
  resync(): void {
    const channels = new Set<string>();
    for (const live of this.remote.values()) {
      for (const presence of live.values()) {
        channels.add(presence.ch);
        this.clear(presence);
      }
    }
    this.remote.clear();
    for (const channel of Object.keys(this.pubsub.streams)) {
      if (channel.startsWith(PRESENCE_PREFIX)) channels.add(channel.slice(PRESENCE_PREFIX.length));
    }
    for (const ch of channels) this.request(ch);
  }

  /** Asks every subscriber of a presence channel, here and at the others, to send its presence again. */
  private request(ch: string): void {
    // A request's src is never a connection's, so that every subscriber answers it.
    this.pubsub.publish([`${PRESENCE_PREFIX}${ch}`], { ch, r: true, src: this.instanceId }, () => undefined);
  }

  /**
   * An instance is heard. One whose presence was cleared for silence was not dead after all, only stalled (a long
   * pause of its event loop): its users are still there, and are asked to send their presence again.
   */
  private heard(inst: string, now: number): void {
    this.lastSeen.set(inst, now);
    const silenced = this.silenced.get(inst);
    if (!silenced) return;
    this.silenced.delete(inst);
    for (const ch of silenced.channels) this.request(ch);
  }

  private clear(presence: Stamped): void {
    const cleared: Stamped = { ...presence, p: null, pv: (presence.pv ?? 0) + 1 };
    this.pubsub._emit(`${PRESENCE_PREFIX}${presence.ch}`, cleared);
  }

  private track(presence: Stamped): void {
    const inst = presence.inst;
    if (typeof inst !== 'string' || inst === this.instanceId) return;
    const key = `${presence.ch}\n${presence.id}`;
    let live = this.remote.get(inst);
    if (presence.p === null) {
      // An older withdrawal arriving late (from a connection closed after its client reconnected and showed itself
      // again) leaves the newer presence tracked: it is still there, and must be cleared if its instance dies.
      const known = live?.get(key);
      if (known && (presence.pv ?? 0) >= (known.pv ?? 0)) live?.delete(key);
      return;
    }
    if (!live) this.remote.set(inst, (live = new Map()));
    live.set(key, presence);
    if (!this.lastSeen.has(inst)) this.heard(inst, Date.now());
    if (++this.tracked % FORGET_EVERY === 0) this.forgetUnsubscribed();
  }

  /**
   * A channel is heard only while someone here subscribes to it: a presence withdrawn after the last subscriber
   * here left is never heard withdrawn, and would be remembered for as long as its instance lives.
   */
  private forgetUnsubscribed(): void {
    for (const [inst, live] of this.remote) {
      for (const [key, presence] of live) if (!this.pubsub.streams[`${PRESENCE_PREFIX}${presence.ch}`]) live.delete(key);
      if (live.size === 0) this.remote.delete(inst);
    }
  }

  private tick(): void {
    this.pubsub.publish([HEARTBEAT_CHANNEL], { inst: this.instanceId }, () => undefined);
  }

  private expire(): void {
    const now = Date.now();
    // Our own heartbeat is not coming back: our pub/sub is down, the others are most likely fine.
    if (now - this.ownSeen >= this.timeoutMs) return;
    for (const [inst, seen] of this.lastSeen) {
      if (now - seen < this.timeoutMs) continue;
      this.lastSeen.delete(inst);
      const channels = new Set<string>();
      for (const presence of this.remote.get(inst)?.values() ?? []) {
        channels.add(presence.ch);
        this.clear(presence);
      }
      this.remote.delete(inst);
      if (channels.size > 0) this.silenced.set(inst, { channels, at: now });
    }
    // An instance silent this long is dead indeed.
    for (const [inst, { at }] of this.silenced) if (now - at > FORGET_SILENCED_MS) this.silenced.delete(inst);
  }
}
