import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteDb } from '../../../server/dist/storage/index.js';
import { commit, createOp, getOps, getSnapshot } from './callbacks.js';
import { useTempDir } from './temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

/** Commits arriving in one turn of the event loop share one SQLite transaction, each with its own answer. */
describe('SqliteDb group commit', () => {
  const dir = useTempDir();
  const opened: SqliteDb[] = [];
  afterEach(() => {
    for (const db of opened.splice(0)) db.close();
  });
  const open = (durability: 'process' | 'power' = 'process'): SqliteDb => {
    const db = new SqliteDb({ filename: join(dir.path, 'group.sqlite'), durability });
    opened.push(db);
    return db;
  };
  const countTransactions = (db: SqliteDb): { batches: number; singles: number } => {
    type Tx = { immediate: (...a: unknown[]) => unknown };
    const internals = db as unknown as { groupCommit: { batch: Tx }; statements: { commit: Tx } };
    const { statements, groupCommit } = internals;
    const counts = { batches: 0, singles: 0 };
    const batch = groupCommit.batch;
    const single = statements.commit;
    groupCommit.batch = { immediate: (...a) => (counts.batches++, batch.immediate(...a)) };
    statements.commit = { immediate: (...a) => (counts.singles++, single.immediate(...a)) };
    return counts;
  };

  it('writes the commits of one tick in one transaction, each answered on its own', async () => {
    const db = open('power');
    const counts = countTransactions(db);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => commit(db, 'docs', `d${i}`, ...createOp({ i }, `s${i}`))));
    expect(results).toEqual(Array(50).fill(true));
    expect(counts).toEqual({ batches: 1, singles: 0 });
    for (const i of [0, 17, 49]) expect(await getSnapshot(db, 'docs', `d${i}`)).toMatchObject({ v: 1, data: { i } });
  });

  it('lets exactly one of two same-version commits in one batch win', async () => {
    const db = open();
    const results = await Promise.all([
      commit(db, 'docs', 'race', ...createOp({ by: 'a' }, 'a')),
      commit(db, 'docs', 'race', ...createOp({ by: 'b' }, 'b')),
    ]);
    expect(results).toEqual([true, false]);
    expect(await getOps(db, 'docs', 'race')).toHaveLength(1);
    expect(await getSnapshot(db, 'docs', 'race')).toMatchObject({ data: { by: 'a' } });
  });

  it('writes a document\'s snapshot row once per batch, from its last commit that passed the version check', async () => {
    const db = open();
    const internals = db as unknown as { statements: { writeSnapshot(row: { id: string; nextV: number }): void } };
    const writeSnapshot = internals.statements.writeSnapshot;
    const written: string[] = [];
    internals.statements.writeSnapshot = (row) => (written.push(`${row.id}@${row.nextV}`), writeSnapshot(row));
    const type = 'http://sharejs.org/types/JSONv0';
    const edit = (v: number, n: number, seq: number) => commit(db, 'docs', 'hot',
      { v, src: 'x', seq, op: [{ p: ['n'], na: 1 }] }, { v: v + 1, type, data: { n }, m: { ctime: 1, mtime: v } });
    const results = await Promise.all([
      commit(db, 'docs', 'hot', ...createOp({ n: 0 }, 'x')),
      edit(1, 1, 2),
      edit(2, 2, 3),
      edit(2, 99, 4), // a second op at version 2 loses its check, and does not become the snapshot
      commit(db, 'docs', 'other', ...createOp({ other: true }, 'y')),
    ]);
    expect(results).toEqual([true, true, true, false, true]);
    expect(written).toEqual(['hot@3', 'other@1']);
    // What the file holds, read by a handle without this one's cache.
    const fresh = new SqliteDb({ filename: join(dir.path, 'group.sqlite') });
    opened.push(fresh);
    expect(await getSnapshot(fresh, 'docs', 'hot')).toMatchObject({ v: 3, data: { n: 2 } });
    expect((await getOps(fresh, 'docs', 'hot')).map((op) => op.seq)).toEqual([1, 2, 3]);
    expect(await getSnapshot(fresh, 'docs', 'other')).toMatchObject({ v: 1, data: { other: true } });
  });

  it('retries one by one when the batch fails, so one failing commit does not fail the others', async () => {
    const db = open();
    await commit(db, 'docs', 'small', ...createOp({ n: 1 }, 'x'));
    db.database.pragma(`max_page_count = ${db.database.pragma('page_count', { simple: true }) as number}`);
    const counts = countTransactions(db);
    const big = 'y'.repeat(512 * 1024);
    const outcomes = await Promise.allSettled([
      commit(db, 'docs', 'big', ...createOp({ big }, 'big')),
      commit(db, 'docs', 'small', { v: 1, src: 'x', seq: 2, op: [] }, { v: 2, type: 'http://sharejs.org/types/JSONv0', data: { n: 1 }, m: { ctime: 1, mtime: 2 } }),
    ]);
    expect(outcomes[0]).toMatchObject({ status: 'rejected', reason: { code: 'SQLITE_FULL' } });
    expect(outcomes[1]).toEqual({ status: 'fulfilled', value: true });
    expect(counts).toEqual({ batches: 1, singles: 2 });
    expect(await getSnapshot(db, 'docs', 'small')).toMatchObject({ v: 2 });
  });

  it('waits for another process\'s write lock on a timer, not inside SQLite, gathering what arrives meanwhile', async () => {
    // Inside SQLite the wait stops the event loop: here the other holder could never let go, and the commit failed
    // with SQLITE_BUSY after the whole busy timeout.
    const db = new SqliteDb({ filename: join(dir.path, 'group.sqlite'), busyTimeoutMs: 2_000 });
    opened.push(db);
    const other = new Database(join(dir.path, 'group.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    const counts = countTransactions(db);
    const started = performance.now();
    const first = commit(db, 'docs', 'a', ...createOp({ n: 1 }, 'x'));
    let turns = 0;
    await waitFor('the event loop turning while the lock is held', () => ++turns >= 20, 1_500, 1);
    const second = commit(db, 'docs', 'b', ...createOp({ n: 2 }, 'y'));
    await waitFor('a retry that found the lock held', () => counts.batches >= 2, 1_500, 1);
    other.exec('COMMIT');
    other.close();
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(counts.singles).toBe(0);
    expect(await getSnapshot(db, 'docs', 'b')).toMatchObject({ v: 1, data: { n: 2 } });
  });
});
