/**
 * Clearing the presence of instances that die. When a connection ends, ShareDB broadcasts a null presence for it;
 * when a whole instance is killed, nobody does, and its users' cursors would stay on every other instance forever.
 * Each instance stamps the presence it publishes with its id and publishes a heartbeat every `intervalMs` on the
 * shared pub/sub; each remembers the live presence of the others, and clears, for its own clients, the presence
 * of an instance whose heartbeat stopped for `timeoutMs`. Only meaningful with a shared pub/sub (Redis).
 */
import { randomUUID } from 'node:crypto';
import type ShareDB from 'sharedb';
import type { PresenceMessage } from './middleware.js';

const HEARTBEAT_CHANNEL = '$concord.instances';
const PRESENCE_PREFIX = '$presence.';

interface PubSubInternals {
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
  private timer: NodeJS.Timeout | undefined;
  private stream: { destroy(): void } | undefined;

  constructor(backend: ShareDB, private readonly intervalMs = 1000, private readonly timeoutMs = 3500) {
    this.pubsub = backend.pubsub as unknown as PubSubInternals;
    const emit = this.pubsub._emit.bind(this.pubsub);
    this.pubsub._emit = (channel, data) => {
      if (channel.startsWith(PRESENCE_PREFIX)) this.track(data as Stamped);
      emit(channel, data);
    };
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
        if (typeof data.inst === 'string' && data.inst !== this.instanceId) this.lastSeen.set(data.inst, Date.now());
      });
    });
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.stream?.destroy();
  }

  private track(presence: Stamped): void {
    const inst = presence.inst;
    if (typeof inst !== 'string' || inst === this.instanceId) return;
    const key = `${presence.ch}\n${presence.id}`;
    let live = this.remote.get(inst);
    if (presence.p === null) return void live?.delete(key);
    if (!live) this.remote.set(inst, (live = new Map()));
    live.set(key, presence);
    if (!this.lastSeen.has(inst)) this.lastSeen.set(inst, Date.now());
  }

  private tick(): void {
    this.pubsub.publish([HEARTBEAT_CHANNEL], { inst: this.instanceId }, () => undefined);
    const now = Date.now();
    for (const [inst, seen] of this.lastSeen) {
      if (now - seen < this.timeoutMs) continue;
      this.lastSeen.delete(inst);
      for (const presence of this.remote.get(inst)?.values() ?? []) {
        const cleared: Stamped = { ...presence, p: null, pv: (presence.pv ?? 0) + 1 };
        this.pubsub._emit(`${PRESENCE_PREFIX}${presence.ch}`, cleared);
      }
      this.remote.delete(inst);
    }
  }
}
