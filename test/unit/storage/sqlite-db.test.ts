import { join } from 'node:path';
import ShareDB from 'sharedb';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStorage, SqliteDb, type OpRecord, type SnapshotToCommit } from '../../../server/dist/storage/index.js';
import { commit, createOp, getOps, getSnapshot } from './callbacks.js';
import { spawnNodeScript, type NodeChild } from './node-child.js';
import { useTempDir } from './temp-dir.js';

const JSON0 = 'http://sharejs.org/types/JSONv0';

describe('SqliteDb', () => {
  const dir = useTempDir();
  const opened: SqliteDb[] = [];
  const children: NodeChild[] = [];
  const open = (name = 'db.sqlite', durability?: 'process' | 'power'): SqliteDb => {
    const db = new SqliteDb({ filename: join(dir.path, name), ...(durability ? { durability } : {}) });
    opened.push(db);
    return db;
  };
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.kill()));
    for (const db of opened.splice(0)) db.close();
  });

  it('lets exactly one of several connections to the same file commit a version', async () => {
    const dbs = [open(), open(), open(), open(), open()];
    const results = await Promise.all(
      dbs.map((db, index) => commit(db, 'docs', 'race', ...createOp({ by: index }, `src${index}`))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    for (const db of dbs) {
      const snapshot = await getSnapshot(db, 'docs', 'race');
      expect(snapshot).toMatchObject({ v: 1, type: JSON0, data: { by: winner } });
      expect(await getOps(db, 'docs', 'race')).toHaveLength(1);
    }
  });

  it('serialises commits from two processes: one winner per version, no lost or duplicated op', async () => {
    const filename = join(dir.path, 'shared.sqlite');
    const db = open('shared.sqlite');
    expect(await commit(db, 'race', 'counter', ...createOp({ n: 0 }))).toBe(true);
    const docs = 40;
    const increments = 60;
    const script = `
      const { SqliteDb } = await import(process.env.STORAGE_ENTRY);
      const db = new SqliteDb({ filename: process.env.DB_FILE });
      const name = process.env.NAME;
      const call = (fn) => new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));
      const commit = (id, op, snapshot) => call((cb) => db.commit('race', id, op, snapshot, null, cb));
      console.log('ready');
      await new Promise((resolve) => process.stdin.once('data', resolve));
      const won = [];
      for (let i = 0; i < ${docs}; i++) {
        const data = { by: name };
        const ok = await commit('doc' + i, { v: 0, src: name, seq: i + 1, create: { type: '${JSON0}', data } },
          { v: 1, type: '${JSON0}', data, m: null });
        if (ok) won.push('doc' + i);
      }
      let seq = 1000, done = 0, retries = 0;
      while (done < ${increments}) {
        const s = await call((cb) => db.getSnapshot('race', 'counter', { $submit: true }, null, cb));
        const ok = await commit('counter', { v: s.v, src: name, seq: seq + 1, op: [{ p: ['n'], na: 1 }] },
          { v: s.v + 1, type: s.type, data: { n: s.data.n + 1 }, m: s.m });
        if (ok) { done++; seq++; } else retries++;
      }
      console.log(JSON.stringify({ won, retries }));
      db.close();
    `;
    const a = spawnNodeScript(script, { DB_FILE: filename, NAME: 'a' });
    const b = spawnNodeScript(script, { DB_FILE: filename, NAME: 'b' });
    children.push(a, b);
    await Promise.all([a.waitForLine(/^ready$/), b.waitForLine(/^ready$/)]);
    a.send('go');
    b.send('go');
    const [resultA, resultB] = await Promise.all(
      [a, b].map(async (child) => JSON.parse(await child.waitForLine(/^\{/, 30_000)) as { won: string[] }),
    );

    // Every document was created exactly once, by the process that was told it won.
    expect([...resultA!.won, ...resultB!.won].sort()).toEqual(Array.from({ length: docs }, (_, i) => `doc${i}`).sort());
    expect(resultA!.won.filter((id) => resultB!.won.includes(id))).toEqual([]);
    for (const id of resultA!.won) expect((await getSnapshot(db, 'race', id)).data).toEqual({ by: 'a' });
    for (const id of resultB!.won) expect((await getSnapshot(db, 'race', id)).data).toEqual({ by: 'b' });

    // Every increment landed once, at consecutive versions.
    const counter = await getSnapshot(db, 'race', 'counter');
    expect(counter).toMatchObject({ v: 1 + 2 * increments, data: { n: 2 * increments } });
    const ops = await getOps(db, 'race', 'counter');
    expect(ops.map((op) => op.v)).toEqual(Array.from({ length: 1 + 2 * increments }, (_, v) => v));
    expect(ops.filter((op) => op.src === 'a')).toHaveLength(increments);
    expect(ops.filter((op) => op.src === 'b')).toHaveLength(increments);
  });

  it('sets PRAGMA synchronous from the durability option, on WAL with a busy timeout', () => {
    const power = open('power.sqlite', 'power');
    const processLevel = open('process.sqlite', 'process');
    const fallback = open('default.sqlite');
    expect(power.database.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(processLevel.database.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(fallback.database.pragma('synchronous', { simple: true })).toBe(1);
    expect(power.database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(power.database.pragma('busy_timeout', { simple: true })).toBe(5000);

    const storage = createSqliteStorage({ dataDir: join(dir.path, 'store'), durability: 'power' });
    expect(storage.db.database.pragma('synchronous', { simple: true })).toBe(2);
    return storage.close();
  });

  it('answers a full disk with SQLITE_FULL through the callback, keeps the old state, and recovers', async () => {
    const db = open();
    expect(await commit(db, 'docs', 'a', ...createOp({ small: true }))).toBe(true);
    const pages = db.database.pragma('page_count', { simple: true }) as number;
    db.database.pragma(`max_page_count = ${pages + 1}`);
    const big = { text: 'x'.repeat(256 * 1024) };
    const op: OpRecord = { v: 1, src: 'test', seq: 2, op: [{ p: ['text'], oi: big.text }] };
    const next: SnapshotToCommit = { v: 2, type: JSON0, data: { small: true, ...big }, m: null };

    await expect(commit(db, 'docs', 'a', op, next)).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    expect(await getSnapshot(db, 'docs', 'a')).toMatchObject({ v: 1, data: { small: true } });
    expect(await getOps(db, 'docs', 'a')).toHaveLength(1);

    db.database.pragma('max_page_count = 1073741823');
    expect(await commit(db, 'docs', 'a', op, next)).toBe(true);
    expect((await getSnapshot(db, 'docs', 'a')).v).toBe(2);
  });

  it('reports a full disk to a ShareDB client as a failed submit, without crashing', async () => {
    const db = open();
    // ShareDB logs the stack of an error it sends to a client with logger.info.
    const logged: unknown[] = [];
    ShareDB.logger.setMethods({ info: (...args: unknown[]) => void logged.push(...args) });
    const backend = new ShareDB({ db });
    const doc = backend.connect().get('docs', 'big');
    await new Promise<void>((resolve, reject) => doc.create({ a: 1 }, (error) => (error ? reject(error) : resolve())));
    db.database.pragma(`max_page_count = ${db.database.pragma('page_count', { simple: true }) as number}`);
    const error = await new Promise<{ code: unknown } | undefined>((resolve) =>
      doc.submitOp([{ p: ['b'], oi: 'y'.repeat(512 * 1024) }], {}, (err) => resolve(err)),
    );
    expect(error?.code).toBe('SQLITE_FULL');
    expect(logged.some((entry) => /SqliteError: database or disk is full/.test(String(entry)))).toBe(true);
    ShareDB.logger.setMethods({ info: console.info });
    await new Promise<void>((resolve) => backend.close(() => resolve()));
  });

  it('keeps metadata, answers getCommittedOpVersion from the index, and keeps tombstones out of queries', async () => {
    const db = open();
    expect(await commit(db, 'docs', 'a', ...createOp({ x: 1 }, 'client-1', 7))).toBe(true);
    expect(await commit(db, 'docs', 'a', { v: 1, src: 'client-1', seq: 8, del: true }, { v: 2, type: null, m: { mtime: 5 } }))
      .toBe(true);
    const version = await new Promise<number | undefined>((resolve, reject) =>
      db.getCommittedOpVersion('docs', 'a', { v: 2 }, { src: 'client-1', seq: 7 }, null, (e, v) => (e ? reject(e) : resolve(v))),
    );
    expect(version).toBe(0);
    const deleted = await getSnapshot(db, 'docs', 'a', true);
    expect(deleted).toEqual({ id: 'a', v: 2, type: null, data: undefined, m: { mtime: 5 } });
    const found = await new Promise<unknown[]>((resolve, reject) =>
      db.query('docs', {}, {}, null, (e, s) => (e ? reject(e) : resolve(s))),
    );
    expect(found).toEqual([]);
  });

  it('answers every call after close() with an error, and close() twice is fine', async () => {
    const db = open();
    await new Promise<void>((resolve) => db.close(() => resolve()));
    await new Promise<void>((resolve) => db.close(() => resolve()));
    await expect(getSnapshot(db, 'docs', 'a')).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
    await expect(commit(db, 'docs', 'a', ...createOp({}))).rejects.toThrow(/closed/);
  });
});
