import ShareDB from 'sharedb';
import type { PubSubAdapter } from './pubsub.js';

/** In-process pub/sub: one server process, or tests. */
export function createMemoryPubSub(): PubSubAdapter {
  const { MemoryPubSub } = ShareDB as unknown as { MemoryPubSub: new () => ShareDB.PubSub };
  const pubsub = new MemoryPubSub();
  let closed: Promise<void> | undefined;
  return {
    kind: 'memory',
    pubsub,
    ping: () => Promise.resolve(),
    close: () => (closed ??= new Promise<void>((resolve, reject) => pubsub.close((err) => (err ? reject(err) : resolve())))),
  };
}
