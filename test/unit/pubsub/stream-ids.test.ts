/**
 * keepStreamIdsNamed: ShareDB's pub/sub keys each channel's streams by stream id; ids from 2^32 on keep those keys
 * named properties instead of array elements sized to the id (kilobytes per subscribed document on a fresh server;
 * the idle-1000 bench scenario shows the memory). Here: the pub/sub behaves as before with such ids.
 */
import { describe, expect, it } from 'vitest';
import ShareDB from 'sharedb';
import { createCollabServer } from '@concord/server';
import { keepStreamIdsNamed } from '../../../server/dist/pubsub/pubsub.js';

type Stream = NodeJS.EventEmitter & { id: number; destroy(): void };
type Internals = ShareDB.PubSub & { nextStreamId: number; streams: Record<string, Record<string, Stream>> };

const { MemoryPubSub } = ShareDB as unknown as { MemoryPubSub: new () => Internals };

function subscribe(pubsub: Internals, channel: string): Promise<{ stream: Stream; seen: unknown[] }> {
  return new Promise((resolve, reject) => {
    pubsub.subscribe(channel, (err, stream) => {
      if (err || !stream) return reject(err ?? new Error('no stream'));
      const seen: unknown[] = [];
      const opStream = stream as unknown as Stream;
      opStream.on('data', (data: unknown) => void seen.push(data));
      resolve({ stream: opStream, seen });
    });
  });
}

const publish = (pubsub: Internals, channel: string, data: object) =>
  new Promise<void>((resolve, reject) => pubsub.publish([channel], data, (err) => (err ? reject(err) : resolve())));

/** Lets the streams' 'data' events (pushed on later ticks) arrive. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('keepStreamIdsNamed', () => {
  it('numbers streams from 2^32, keeps them in creation order, and delivers and cleans up as before', async () => {
    const pubsub = new MemoryPubSub();
    keepStreamIdsNamed(pubsub);
    const a = await subscribe(pubsub, 'notes.a');
    const b = await subscribe(pubsub, 'notes.a');
    expect(a.stream.id).toBeGreaterThanOrEqual(2 ** 32);
    expect(b.stream.id).toBe(a.stream.id + 1);
    expect(Object.keys(pubsub.streams['notes.a']!)).toEqual([String(a.stream.id), String(b.stream.id)]);

    await publish(pubsub, 'notes.a', { v: 1 });
    await settle();
    expect(a.seen).toEqual([{ v: 1 }]);
    expect(b.seen).toEqual([{ v: 1 }]);

    a.stream.destroy();
    await publish(pubsub, 'notes.a', { v: 2 });
    await settle();
    expect(a.seen).toEqual([{ v: 1 }]);
    expect(b.seen).toEqual([{ v: 1 }, { v: 2 }]);

    b.stream.destroy();
    expect(pubsub.streams['notes.a']).toBeUndefined();
    pubsub.close();
  });

  it('never moves a counter that is already past 2^32 back', () => {
    const pubsub = new MemoryPubSub();
    pubsub.nextStreamId = 2 ** 32 + 10;
    keepStreamIdsNamed(pubsub);
    expect(pubsub.nextStreamId).toBe(2 ** 32 + 10);
  });

  it('leaves a pub/sub without a numeric counter alone', () => {
    const custom = { subscribe: () => undefined } as unknown as ShareDB.PubSub;
    keepStreamIdsNamed(custom);
    expect(custom).not.toHaveProperty('nextStreamId');
  });

  it('is applied to the pub/sub of every server', async () => {
    const collab = createCollabServer({ auth: 'none' });
    try {
      expect((collab.engine.backend.pubsub as Internals).nextStreamId).toBeGreaterThanOrEqual(2 ** 32);
    } finally {
      await collab.close();
    }
  });
});
