/**
 * Redis pub/sub between server processes, through sharedb-redis-pubsub with clients created here: ours have
 * 'error' listeners (the adapter's own have none, and an unhandled Redis error ends a Node process) and reconnect
 * by themselves with capped backoff. Redis pub/sub delivers at most once, so whatever was published while this
 * instance's subscriber was disconnected is lost to it: `onResubscribed` fires after each reconnect so the engine
 * can re-read its subscribed documents and deliver what it missed (createCollabServer registers that itself).
 */
import { createRequire } from 'node:module';
import type { createClient } from 'redis';
import type ShareDB from 'sharedb';
import type { PubSubAdapter } from './pubsub.js';

export interface RedisPubSubOptions {
  /** `redis://`, `rediss://` or `unix://` URL. */
  url: string;
  /** Called with connection errors (each is survivable; the clients reconnect). */
  onError?: (err: Error) => void;
  /** Called when the subscriber connection is back after a loss (besides the adapter's `onResubscribed` listeners). */
  onResubscribed?: () => void;
  /** Upper bound of the reconnect backoff. Default 2000 ms. */
  maxReconnectDelayMs?: number;
}

type RedisClient = ReturnType<typeof createClient>;

export function createRedisPubSub(options: RedisPubSubOptions): PubSubAdapter & { readonly connected: boolean } {
  const maxDelay = options.maxReconnectDelayMs ?? 2000;
  // Loaded on first use: a single-process server never pays for node-redis (~20 MB, ~0.2 s at start).
  const require = createRequire(import.meta.url);
  const { createClient: create } = require('redis') as { createClient: typeof createClient };
  const RedisPubSub = require('sharedb-redis-pubsub') as new (options: object) => ShareDB.PubSub;
  const make = (): RedisClient => {
    const reconnectStrategy = (retries: number): number => Math.min(50 * 2 ** Math.min(retries, 10), maxDelay);
    // node-redis takes unix sockets as a path, not as a URL.
    const client = options.url.startsWith('unix://')
      ? create({ socket: { path: options.url.slice('unix://'.length), reconnectStrategy } })
      : create({ url: options.url, socket: { reconnectStrategy, connectTimeout: 5000 } });
    client.on('error', (err: Error) => options.onError?.(err));
    return client;
  };
  const client = make();
  const observer = make();
  const resubscribed = new Set<() => void>();
  if (options.onResubscribed) resubscribed.add(options.onResubscribed);
  let lostObserver = false;
  observer.on('end', () => (lostObserver = true));
  observer.on('reconnecting', () => (lostObserver = true));
  observer.on('ready', () => {
    if (!lostObserver) return;
    lostObserver = false;
    // node-redis resubscribes its channels on reconnect; what was published meanwhile is gone.
    for (const listener of resubscribed) listener();
  });
  // Connected in the background: a Redis that is down at start degrades this instance (/readyz) instead of
  // keeping it from starting; the clients retry until it is back.
  for (const c of [client, observer]) c.connect().catch((err: Error) => options.onError?.(err));
  const pubsub = new RedisPubSub({ client, observer });
  receiveSafely(pubsub, observer, (err) => options.onError?.(err));
  let closing: Promise<void> | undefined;
  retryFailedPublishes(pubsub, () => closing !== undefined);
  return {
    kind: 'redis',
    pubsub,
    onResubscribed: (listener) => void resubscribed.add(listener),
    get connected() {
      return client.isReady && observer.isReady;
    },
    async ping() {
      if (!client.isReady || !observer.isReady) throw new Error('redis is not connected');
      await client.ping();
    },
    close() {
      closing ??= (async () => {
        // sharedb-redis-pubsub's close ends the streams, then waits for its clients to connect before quitting
        // them: while Redis is down that wait never ends, and neither would a shutdown. So it is awaited only when
        // both clients are up; otherwise the clients are dropped, which stops their reconnecting.
        const closed = new Promise<void>((resolve) => pubsub.close(() => resolve()));
        if (client.isReady && observer.isReady) await closed;
        for (const c of [client, observer]) {
          if (c.isReady) await c.close().catch(() => undefined);
          else if (c.isOpen) c.destroy();
        }
      })();
      return closing;
    },
  };
}

/** Attempts at a publish whose connection dropped while it was in flight. */
const PUBLISH_ATTEMPTS = 3;

interface Publishing {
  _publish(channels: string[], data: unknown, callback: (err?: Error) => void): void;
}

/**
 * A publish in flight when the publisher's connection drops fails, and ShareDB publishes a committed op only once
 * (the submitter is acknowledged either way). Every subscriber, on this instance too, gets it only through Redis,
 * and the subscriber connections, still up, give nobody a reason to re-read: on a document that gets no further op,
 * every subscriber would keep the old version for good. So a failed publish is sent again (node-redis holds it until
 * the connection is back). Should the first one have reached Redis after all, subscribers get the message twice,
 * which ShareDB's clients ignore (an op at a version they have, the same presence version).
 */
function retryFailedPublishes(pubsub: ShareDB.PubSub, closing: () => boolean): void {
  const target = pubsub as unknown as Publishing;
  const publish = target._publish.bind(target);
  target._publish = (channels, data, callback) => {
    let attempts = 0;
    const attempt = (): void => publish(channels, data, (err) => {
      if (err && !closing() && ++attempts < PUBLISH_ATTEMPTS) return attempt();
      callback(err);
    });
    attempt();
  };
}

interface Subscribing {
  _emit(channel: string, data: unknown): void;
  _subscribe(channel: string, callback: (err?: Error) => void): void;
}

/**
 * sharedb-redis-pubsub parses and hands on each message inside node-redis's socket reader, where an exception (a
 * message that is not JSON, or JSON null, which the subscribers then trip over) makes node-redis reset its reply
 * decoder and with it the connection's pub/sub mode: the subscriber stays connected but delivers nothing more, for
 * good. Here a message that is not a JSON object (another app on the same Redis, another version) is dropped, and
 * an exception while handing one on is reported; either way the next message is delivered.
 */
function receiveSafely(pubsub: ShareDB.PubSub, observer: RedisClient, report: (err: Error) => void): void {
  const target = pubsub as unknown as Subscribing;
  target._subscribe = (channel, callback) => {
    observer.subscribe(channel, (message: string) => {
      let data: unknown;
      try {
        data = JSON.parse(message);
      } catch {
        data = undefined;
      }
      if (data === null || typeof data !== 'object' || Array.isArray(data)) {
        return report(new Error(`dropped a pub/sub message on ${channel} that is not a JSON object`));
      }
      try {
        target._emit(channel, data);
      } catch (err) {
        report(err instanceof Error ? err : new Error(String(err)));
      }
    }).then(() => callback(), callback);
  };
}
