import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteDb, type OpRecord, type SnapshotRecord } from '../../../server/dist/storage/index.js';
import { HotDocs } from '../../../server/dist/storage/sqlite/hot-docs.js';
import { SqliteHistoryStore } from '../../../server/dist/storage/sqlite/sqlite-history-store.js';
import { commit, createOp, getOps, getSnapshot } from './callbacks.js';
import { useTempDir } from './temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

const JSON0 = 'http://sharejs.org/types/JSONv0';

/** What ShareDB's submit does with the snapshot it reads: `$submit` fields, then commit of the same object, advanced. */
function readForSubmit(db: SqliteDb, id: string): Promise<SnapshotRecord> {
  return new Promise((resolve, reject) =>
    db.getSnapshot('docs', id, { $submit: true }, null, (error, snapshot) => (error ? reject(error) : resolve(snapshot!))),
  );
}

function opsToSnapshot(db: SqliteDb, id: string, from: number, snapshot: SnapshotRecord): Promise<OpRecord[]> {
  return new Promise((resolve, reject) =>
    db.getOpsToSnapshot('docs', id, from, snapshot as unknown as number, null, (error, ops) => (error ? reject(error) : resolve(ops!))),
  );
}

/** Advances a snapshot read for submit by a json0 `n += 1` op, as ShareDB's apply would, and commits it. */
function commitIncrement(db: SqliteDb, id: string, snapshot: SnapshotRecord, seq: number): Promise<boolean> {
  const op: OpRecord = { v: snapshot.v, src: 'c', seq, op: [{ p: ['n'], na: 1 }] };
  const data = snapshot.data as { n: number };
  data.n += 1; // json0 applies in place
  snapshot.v += 1;
  return commit(db, 'docs', id, op, snapshot as Parameters<typeof commit>[4]);
}

describe('SqliteDb hot documents', () => {
  const dir = useTempDir();
  const opened: SqliteDb[] = [];
  afterEach(() => {
    for (const db of opened.splice(0)) db.close();
  });
  const open = (): SqliteDb => {
    const db = new SqliteDb({ filename: join(dir.path, 'hot.sqlite') });
    opened.push(db);
    return db;
  };

  it('lets a submit build on a commit still waiting for the group commit, and writes both in order', async () => {
    const db = open();
    await commit(db, 'docs', 'a', ...createOp({ n: 0 }));
    const first = await readForSubmit(db, 'a');
    const firstCommitted = commitIncrement(db, 'a', first, 2);
    // Before the group commit runs, the next submit already sees version 2 and the op that made it.
    const second = await readForSubmit(db, 'a');
    expect(second).toMatchObject({ v: 2, data: { n: 1 } });
    expect((await opsToSnapshot(db, 'a', 1, second)).map((op) => op.seq)).toEqual([2]);
    const secondCommitted = commitIncrement(db, 'a', second, 3);
    expect(await Promise.all([firstCommitted, secondCommitted])).toEqual([true, true]);
    expect(await getSnapshot(db, 'docs', 'a')).toMatchObject({ v: 3, data: { n: 2 } });
    expect((await getOps(db, 'docs', 'a')).map((op) => op.v)).toEqual([0, 1, 2]);
  });

  it('hands every submit its own copy of a json0 document (json0 applies in place)', async () => {
    const db = open();
    await commit(db, 'docs', 'copy', ...createOp({ n: 0, list: [1] }));
    const one = await readForSubmit(db, 'copy');
    (one.data as { list: number[] }).list.push(2);
    expect(await readForSubmit(db, 'copy')).toMatchObject({ data: { n: 0, list: [1] } });
  });

  it('fails a commit built on a tentative state whose own commit failed, instead of writing it', async () => {
    const db = open();
    await commit(db, 'docs', 'chain', ...createOp({ n: 0, pad: '' }));
    const first = await readForSubmit(db, 'chain');
    // The first op makes the document too large for the file (max_page_count), so its commit fails.
    db.database.pragma(`max_page_count = ${db.database.pragma('page_count', { simple: true }) as number}`);
    (first.data as { pad: string }).pad = 'x'.repeat(512 * 1024);
    first.v += 1;
    const failing = commit(db, 'docs', 'chain', { v: 1, src: 'c', seq: 2, op: [{ p: ['pad'], oi: 'big' }] }, first as Parameters<typeof commit>[4]);
    const second = await readForSubmit(db, 'chain');
    expect(second.v).toBe(2); // built on the first, not yet written
    const dependent = commitIncrement(db, 'chain', second, 3);
    const [a, b] = await Promise.allSettled([failing, dependent]);
    expect(a).toMatchObject({ status: 'rejected', reason: { code: 'SQLITE_FULL' } });
    expect(b).toMatchObject({ status: 'rejected', reason: { code: 'ERR_STORAGE_UNAVAILABLE' } });
    // Neither was written; the next submit starts from the file again, and a commit built on it goes through.
    expect(await getSnapshot(db, 'docs', 'chain')).toMatchObject({ v: 1, data: { n: 0, pad: '' } });
    db.database.pragma('max_page_count = 1073741823');
    const fresh = await readForSubmit(db, 'chain');
    expect(fresh).toMatchObject({ v: 1, data: { n: 0 } });
    expect(await commitIncrement(db, 'chain', fresh, 4)).toBe(true);
  });

  it('re-reads the file once another process (another connection) has written to it', async () => {
    const here = open();
    const there = open();
    await commit(here, 'docs', 'shared', ...createOp({ n: 0 }));
    expect(await readForSubmit(here, 'shared')).toMatchObject({ v: 1 });
    expect(await commitIncrement(there, 'shared', await readForSubmit(there, 'shared'), 2)).toBe(true);
    // At once: a client may already hold version 2 (published by the other process) and submit at it.
    expect(await readForSubmit(here, 'shared')).toMatchObject({ v: 2, data: { n: 1 } });
  });

  it('as the only writer, still sees a second process\'s writes within milliseconds', async () => {
    const here = open();
    here.onCommitIssued = () => undefined; // what the engine sets when no other process should write
    const there = open();
    await commit(here, 'docs', 'alone', ...createOp({ n: 0 }));
    expect(await readForSubmit(here, 'alone')).toMatchObject({ v: 1 });
    expect(await commitIncrement(there, 'alone', await readForSubmit(there, 'alone'), 2)).toBe(true);
    const seen = await waitFor('the other process\'s commit', async () => {
      const snapshot = await readForSubmit(here, 'alone');
      return snapshot.v === 2 ? snapshot : undefined;
    }, 1000, 1);
    expect(seen).toMatchObject({ v: 2, data: { n: 1 } });
  });

  it('loses the version check, not the data, when another process wrote after the cache was read', async () => {
    const here = open();
    const there = open();
    await commit(here, 'docs', 'race', ...createOp({ n: 0 }));
    const stale = await readForSubmit(here, 'race');
    expect(await commitIncrement(there, 'race', await readForSubmit(there, 'race'), 2)).toBe(true);
    expect(await commitIncrement(here, 'race', stale, 3)).toBe(false); // ShareDB transforms and retries
    expect(await readForSubmit(here, 'race')).toMatchObject({ v: 2, data: { n: 1 } });
  });

  it('forgets a document whose ops were deleted, so transforms read the file and see them missing', async () => {
    const db = open();
    await commit(db, 'docs', 'pruned', ...createOp({ n: 0 }));
    const base = await readForSubmit(db, 'pruned');
    expect(await commitIncrement(db, 'pruned', base, 2)).toBe(true);
    const snapshot = await readForSubmit(db, 'pruned');
    await new Promise<void>((resolve, reject) => db.deleteOps('docs', 'pruned', 0, 2, (e) => (e ? reject(e) : resolve())));
    await expect(opsToSnapshot(db, 'pruned', 1, snapshot)).rejects.toThrow(/Missing ops/);
  });

  it('keeps the state of a commit not yet written when the document\'s ops are pruned meanwhile', async () => {
    const db = open();
    db.onCommitIssued = () => undefined; // the only writer: a submit may build on a commit not yet written
    const history = new SqliteHistoryStore(db.database, (collection, id) => db.forget(collection, id));
    await commit(db, 'docs', 'busy', ...createOp({ n: 0 }));
    expect(await commitIncrement(db, 'busy', await readForSubmit(db, 'busy'), 2)).toBe(true);
    const first = await readForSubmit(db, 'busy');
    const firstCommitted = commitIncrement(db, 'busy', first, 3); // v2 -> v3, waiting for the group commit
    // Retention prunes the document before the group commit runs.
    expect(await history.pruneOps('docs', 'busy', 1)).toBe(1);
    // The next submit builds on the state the waiting commit leaves, not on the older one in the file.
    const second = await readForSubmit(db, 'busy');
    expect(second).toMatchObject({ v: 3, data: { n: 2 } });
    expect((await opsToSnapshot(db, 'busy', 2, second)).map((op) => op.seq)).toEqual([3]);
    await expect(opsToSnapshot(db, 'busy', 0, second)).rejects.toThrow(/Missing ops/); // pruned
    expect(await Promise.all([firstCommitted, commitIncrement(db, 'busy', second, 4)])).toEqual([true, true]);
    expect(await getSnapshot(db, 'docs', 'busy')).toMatchObject({ v: 4, data: { n: 3 } });
    // And submits keep seeing the file's latest state once everything is written.
    expect(await readForSubmit(db, 'busy')).toMatchObject({ v: 4, data: { n: 3 } });
  });

  it('does not keep serving the older state a submit read while a pruned document\'s commit was waiting', async () => {
    const db = open();
    db.onCommitIssued = () => undefined;
    const history = new SqliteHistoryStore(db.database, (collection, id) => db.forget(collection, id));
    await commit(db, 'docs', 'stale', ...createOp({ n: 0 }));
    const waiting = commitIncrement(db, 'stale', await readForSubmit(db, 'stale'), 2); // v1 -> v2
    await history.pruneOps('docs', 'stale', 1);
    await readForSubmit(db, 'stale'); // a submit that then commits nothing (refused by policy, or a no-op)
    expect(await waiting).toBe(true);
    expect(await getSnapshot(db, 'docs', 'stale')).toMatchObject({ v: 2 });
    // A client that received version 2 submits at it: the snapshot it is applied to must be version 2.
    expect(await readForSubmit(db, 'stale')).toMatchObject({ v: 2, data: { n: 1 } });
  });

  it('reads a document\'s waiting commit, not the older file, when another process\'s write empties the cache', async () => {
    const here = open();
    const there = open();
    await commit(here, 'docs', 'mine', ...createOp({ n: 0 }));
    const base = await readForSubmit(here, 'mine');
    await new Promise((resolve) => setImmediate(resolve)); // a new turn: the next read looks at the file's version
    expect(await commit(there, 'docs', 'theirs', ...createOp({ other: true }))).toBe(true);
    const waiting = commitIncrement(here, 'mine', base, 2); // v1 -> v2, waiting for the group commit
    // This read sees the other process's write and empties the cache: it must still see version 2.
    const next = await readForSubmit(here, 'mine');
    expect(next).toMatchObject({ v: 2, data: { n: 1 } });
    expect(await Promise.all([waiting, commitIncrement(here, 'mine', next, 3)])).toEqual([true, true]);
    expect(await readForSubmit(here, 'mine')).toMatchObject({ v: 3, data: { n: 2 } });
  });

  it('serializes a shared type\'s document once per group commit, and counts its exact size once written', async () => {
    const db = open();
    const JSON1 = 'http://sharejs.org/types/JSONv1';
    let serialized = 0;
    /** A document value that counts how often it is turned into JSON. */
    const counted = (n: number) => ({ n, text: 'x'.repeat(200), toJSON() { serialized++; return { n, text: this.text }; } });
    await commit(db, 'docs', 'j', { v: 0, src: 'c', seq: 1, create: { type: JSON1, data: { n: 0 } } },
      { v: 1, type: JSON1, data: { n: 0 }, m: { ctime: 1, mtime: 1 } });
    const commits: Array<Promise<boolean>> = [];
    for (let k = 1; k <= 3; k++) {
      const snapshot = await readForSubmit(db, 'j');
      expect(snapshot.v).toBe(k);
      const op: OpRecord = { v: k, src: 'c', seq: k + 1, op: ['n', { ena: 1 }] };
      commits.push(commit(db, 'docs', 'j', op, { ...snapshot, v: k + 1, data: counted(k) } as Parameters<typeof commit>[4]));
    }
    expect(await Promise.all(commits)).toEqual([true, true, true]);
    expect(serialized).toBe(1); // the last one, for the snapshot row; the two before were never written as rows

    const hot = (db as unknown as { hot: HotDocs }).hot;
    const written = JSON.stringify({ n: 3, text: 'x'.repeat(200) });
    expect(hot.get('docs', 'j')?.dataBytes).toBe(written.length); // the estimate replaced by the real size
    const fresh = new SqliteDb({ filename: join(dir.path, 'hot.sqlite') });
    opened.push(fresh);
    expect(await getSnapshot(fresh, 'docs', 'j')).toMatchObject({ v: 4, data: JSON.parse(written) });
    expect((await getOps(fresh, 'docs', 'j')).map((op) => op.v)).toEqual([0, 1, 2, 3]);
  });
});

describe('HotDocs bounds', () => {
  const T = 'http://sharejs.org/types/JSONv1';
  const snapshot = (id: string, v: number, text: string): SnapshotRecord => ({ id, v, type: T, data: { text }, m: null });

  it('drops the least recently written documents beyond its byte budget, never one with a commit pending', () => {
    const hot = new HotDocs({ maxBytes: 3_000 });
    const a = hot.load('c', 'a', snapshot('a', 1, 'x'.repeat(1000)), JSON.stringify({ text: 'x'.repeat(1000) }))!;
    hot.advance({ entry: a, tentative: undefined }, 1, snapshot('a', 2, 'y'.repeat(1000)), JSON.stringify({ text: 'y'.repeat(1000) }), { v: 1, op: [] }, 15);
    hot.load('c', 'b', snapshot('b', 1, 'x'.repeat(1000)), JSON.stringify({ text: 'x'.repeat(1000) }));
    hot.load('c', 'c', snapshot('c', 1, 'x'.repeat(1000)), JSON.stringify({ text: 'x'.repeat(1000) }));
    expect(hot.bytes).toBeLessThanOrEqual(3_000);
    expect(hot.get('c', 'a')).toBe(a); // pending: kept although it is the oldest
    expect(hot.get('c', 'b')).toBeUndefined();
    expect(hot.get('c', 'c')).toBeDefined();
  });

  it('keeps at most maxOpsBytes of recent ops per document, but every op not yet written', () => {
    const hot = new HotDocs({ maxOpsBytes: 100 });
    const entry = hot.load('c', 'd', snapshot('d', 1, ''), JSON.stringify({ text: '' }))!;
    const op = (v: number): OpRecord => ({ v, src: 's', seq: v, op: ['text', { es: ['z'.repeat(40)] }] });
    const bytes = (v: number): number => JSON.stringify(op(v)).length;
    for (let v = 1; v <= 6; v++) hot.advance({ entry, tentative: entry.tentative }, v, snapshot('d', v + 1, ''), JSON.stringify({ text: '' }), op(v), bytes(v));
    // six ops of ~70 bytes, all pending: all kept
    expect(hot.opsOf(entry, 1, 7)?.map((o) => o.v)).toEqual([1, 2, 3, 4, 5, 6]);
    for (let i = 0; i < 6; i++) entry.pending--; // written
    hot.advance({ entry, tentative: entry.tentative }, 7, snapshot('d', 8, ''), JSON.stringify({ text: '' }), op(7), bytes(7));
    expect(entry.opsFrom).toBe(7); // only the pending one fits in 100 bytes
    expect(hot.opsOf(entry, 6, 8)).toBeUndefined();
    expect(hot.opsOf(entry, 7, 8)?.map((o) => o.v)).toEqual([7]);
  });

  it('keeps the newest maxOps ops of a long run in order, holding none of the dropped ones', () => {
    const hot = new HotDocs({ maxOps: 10 });
    const entry = hot.load('c', 'e', snapshot('e', 0, ''), JSON.stringify({ text: '' }))!;
    for (let v = 0; v < 500; v++) {
      const op: OpRecord = { v, src: 's', seq: v + 1, op: ['n', { ena: 1 }] };
      hot.advance({ entry, tentative: entry.tentative }, v, snapshot('e', v + 1, ''), JSON.stringify({ text: '' }), op, 40);
      entry.pending--; // written
      expect(entry.opsFrom).toBe(Math.max(0, v + 1 - 10));
      expect(hot.opsOf(entry, entry.opsFrom, v + 1)?.map((o) => o.seq)).toEqual(
        Array.from({ length: v + 1 - entry.opsFrom }, (_, i) => entry.opsFrom + i + 1));
    }
    expect(hot.opsOf(entry, 489, 500)).toBeUndefined(); // 489 was dropped
    expect(entry.opsBytes).toBe(10 * 40);
    // Slots of dropped ops hold nothing of them, and the arrays do not grow with the run.
    expect(entry.ops.slice(0, entry.head).every((op) => op.src === undefined)).toBe(true);
    expect(entry.ops.length).toBeLessThan(10 + 40);
  });

  it('keeps the op as committed when ShareDB changes the object it publishes afterwards', () => {
    const hot = new HotDocs();
    const entry = hot.load('c', 'f', snapshot('f', 0, ''), JSON.stringify({ text: '' }))!;
    const op: OpRecord & { c?: string; d?: string; ct?: number } = { v: 0, src: 's', seq: 1, op: ['n', { ena: 1 }], m: { ts: 5 } };
    hot.advance({ entry, tentative: undefined }, 0, snapshot('f', 1, ''), JSON.stringify({ text: '' }), op, 60);
    // What ShareDB does to a committed op before publishing it, and the engine's commit stamp.
    op.c = 'c';
    op.d = 'f';
    op.m = undefined;
    op.ct = 1;
    const [cached] = hot.opsOf(entry, 0, 1)!;
    expect(cached).toEqual({ v: 0, src: 's', seq: 1, op: ['n', { ena: 1 }], m: { ts: 5 } });
    // Readers get copies: what a reader deletes (ShareDB deletes `m` of the ops it transforms over) stays in the cache.
    delete cached!.m;
    expect(hot.opsOf(entry, 0, 1)![0]!.m).toEqual({ ts: 5 });
  });
});
