/**
 * An embedder passing a pub/sub that delivers at most once (Redis) gets the recovery after an outage without wiring
 * it: createCollabServer registers it on the adapter's `onResubscribed`, and each return of the subscriber re-delivers
 * the ops missed and asks for presence again.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCollabServer, createMemoryPubSub, type CollabServer, type PubSubAdapter } from '@concord/server';

let collab: CollabServer | undefined;
afterEach(async () => {
  await collab?.close();
  collab = undefined;
});

describe('createCollabServer with a pub/sub that reports its subscriber back', () => {
  it('recovers after each return: missed ops re-delivered, presence asked for again', async () => {
    const listeners: Array<() => void> = [];
    const pubsub: PubSubAdapter = { ...createMemoryPubSub(), onResubscribed: (listener) => void listeners.push(listener) };
    collab = createCollabServer({ auth: 'none', pubsub });
    expect(listeners).toHaveLength(1);
    const replay = vi.spyOn(collab.engine.gaps, 'replay');
    const resync = vi.spyOn(collab.engine.liveness, 'resync');
    listeners[0]!();
    listeners[0]!();
    expect(replay).toHaveBeenCalledTimes(2);
    expect(resync).toHaveBeenCalledTimes(2);
    await Promise.all(replay.mock.results.map((result) => result.value));
  });
});
