import { join } from 'node:path';
import ShareDB from 'sharedb';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStorage, type SnapshotRecord, type SqliteStorage } from '../../../server/dist/storage/index.js';
import { useTempDir } from './temp-dir.js';

type Doc = ReturnType<ReturnType<ShareDB['connect']>['get']>;

function submit(doc: Doc, op: unknown): Promise<void> {
  return new Promise((resolve, reject) => doc.submitOp(op, {}, (error) => (error ? reject(error) : resolve())));
}

function milestoneAt(storage: SqliteStorage, id: string, version: number | null): Promise<SnapshotRecord | undefined> {
  return new Promise((resolve, reject) =>
    storage.milestoneDb.getMilestoneSnapshot('notes', id, version as number, (error, snapshot) =>
      error ? reject(error) : resolve(snapshot as SnapshotRecord | undefined),
    ),
  );
}

describe('SqliteMilestoneDb', () => {
  const dir = useTempDir();
  let storage: SqliteStorage | undefined;
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
  });

  it('saves a milestone every interval versions, reads the latest at or before a version, and serves past versions', async () => {
    storage = createSqliteStorage({ dataDir: dir.path, milestoneInterval: 3 });
    const opened = storage;
    expect(opened.milestoneDb.interval).toBe(3);
    const backend = new ShareDB({ db: opened.db, milestoneDb: opened.milestoneDb });
    const saved: number[] = [];
    opened.milestoneDb.on('save', (_collection, snapshot) => saved.push(snapshot.v));
    const doc = backend.connect().get('notes', 'n1');
    await new Promise<void>((resolve, reject) => doc.create({ n: 0 }, (error) => (error ? reject(error) : resolve())));
    for (let i = 1; i <= 7; i++) await submit(doc, [{ p: ['n'], na: 1 }]); // versions 2..8

    expect(saved).toEqual([3, 6]);
    expect(await milestoneAt(opened, 'n1', 2)).toBeUndefined();
    expect(await milestoneAt(opened, 'n1', 5)).toMatchObject({ id: 'n1', v: 3, data: { n: 2 } });
    expect(await milestoneAt(opened, 'n1', 6)).toMatchObject({ v: 6, data: { n: 5 } });
    expect(await milestoneAt(opened, 'n1', null)).toMatchObject({ v: 6 });
    expect((await milestoneAt(opened, 'n1', 6))?.m).toMatchObject({ ctime: expect.any(Number), mtime: expect.any(Number) });

    const past = await new Promise<{ v: number; data: unknown }>((resolve, reject) =>
      backend.connect().fetchSnapshot('notes', 'n1', 5, (error, snapshot) =>
        error ? reject(error) : resolve(snapshot as { v: number; data: unknown }),
      ),
    );
    expect(past).toMatchObject({ v: 5, data: { n: 4 } });
    await new Promise<void>((resolve) => backend.close(() => resolve()));
  });

  it('finds milestones by time and keeps one per version', async () => {
    storage = createSqliteStorage({ dataDir: dir.path, milestoneInterval: 0 });
    const db = storage.milestoneDb;
    const save = (v: number, mtime: number, text: string) =>
      new Promise<void>((resolve, reject) =>
        db.saveMilestoneSnapshot(
          'notes',
          { id: 'n2', v, type: 'json0', data: { text }, m: { ctime: 100, mtime } },
          (error) => (error ? reject(error) : resolve()),
        ),
      );
    await save(10, 1000, 'ten');
    await save(20, 2000, 'twenty');
    await save(20, 2000, 'twenty again');
    const byTime = (before: boolean, ts: number | null) =>
      new Promise<SnapshotRecord | undefined>((resolve, reject) => {
        const callback = (error?: Error, snapshot?: unknown) =>
          error ? reject(error) : resolve(snapshot as SnapshotRecord | undefined);
        if (before) db.getMilestoneSnapshotAtOrBeforeTime('notes', 'n2', ts as number, callback);
        else db.getMilestoneSnapshotAtOrAfterTime('notes', 'n2', ts as number, callback);
      });
    expect((await byTime(true, 1500))?.v).toBe(10);
    expect((await byTime(true, 2000))?.data).toEqual({ text: 'twenty again' });
    expect(await byTime(true, 999)).toBeUndefined();
    expect((await byTime(false, 1500))?.v).toBe(20);
    expect(await byTime(false, 2001)).toBeUndefined();
    expect((await byTime(true, null))?.v).toBe(10);
    expect((await byTime(false, null))?.v).toBe(20);
    await expect(byTime(true, -1)).rejects.toMatchObject({ code: 'ERR_MILESTONE_ARGUMENT_INVALID' });
  });
});
