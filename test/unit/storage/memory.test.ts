import ShareDB from 'sharedb';
import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../../../server/dist/storage/index.js';

describe('createMemoryStorage', () => {
  it('queries in the Mongo dialect, saves milestones at the interval, pings, and closes once', async () => {
    const storage = createMemoryStorage({ milestoneInterval: 2 });
    expect(storage.kind).toBe('memory');
    const saved: number[] = [];
    storage.milestoneDb.on('save', (_collection, snapshot) => saved.push(snapshot.v));
    const backend = new ShareDB({ db: storage.db, milestoneDb: storage.milestoneDb });
    const connection = backend.connect();
    for (const [id, rank] of [['a', 2], ['b', 1], ['c', 3]] as const) {
      const doc = connection.get('notes', id);
      await new Promise<void>((resolve, reject) => doc.create({ rank }, (error) => (error ? reject(error) : resolve())));
      await new Promise<void>((resolve, reject) =>
        doc.submitOp([{ p: ['rank'], na: 10 }], {}, (error) => (error ? reject(error) : resolve())),
      );
    }
    expect(saved).toEqual([2, 2, 2]);
    const ids = await new Promise<string[]>((resolve, reject) =>
      connection.createFetchQuery('notes', { rank: { $gte: 12 }, $sort: { rank: -1 } }, {}, (error, results) =>
        error ? reject(error) : resolve((results as { id: string }[]).map((doc) => doc.id)),
      ),
    );
    expect(ids).toEqual(['c', 'a']);

    await expect(storage.ping()).resolves.toBeUndefined();
    const closing = storage.close();
    expect(storage.close()).toBe(closing);
    await closing;
    await expect(storage.ping()).rejects.toThrow(/closed/);
  });
});
