import Database from 'better-sqlite3';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBackupCli } from '../../../server/dist/backup-cli.js';
import { backupSqlite, createSqliteStorage, SCHEMA_VERSION, SqliteDb } from '../../../server/dist/storage/index.js';
import { commit, createOp, getOps, getSnapshot } from './callbacks.js';

const JSON0 = 'http://sharejs.org/types/JSONv0';
import { useTempDir } from './temp-dir.js';

describe('SQLite backup', () => {
  const dir = useTempDir();

  it('copies a live store, including commits still in the WAL, into a self-contained readable file', async () => {
    const storage = createSqliteStorage({ dataDir: join(dir.path, 'data') });
    for (let i = 0; i < 20; i++) expect(await commit(storage.db, 'docs', `d${i}`, ...createOp({ i }))).toBe(true);
    const dest = join(dir.path, 'backup.sqlite');

    const result = await backupSqlite(storage.filename, dest);
    expect(result).toMatchObject({ destPath: dest, schemaVersion: SCHEMA_VERSION });
    expect(result.pages).toBeGreaterThan(0);
    // The server keeps working during and after the backup.
    expect(await commit(storage.db, 'docs', 'after', ...createOp({ late: true }))).toBe(true);
    await storage.close();

    expect(existsSync(`${dest}-wal`)).toBe(false);
    const raw = new Database(dest, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('delete');
    raw.close();
    const copy = new SqliteDb({ filename: dest });
    expect(await getSnapshot(copy, 'docs', 'd19')).toMatchObject({ v: 1, data: { i: 19 } });
    expect((await getSnapshot(copy, 'docs', 'after')).v).toBe(0);
    copy.close();
  });

  it('finishes while the server keeps committing, with a consistent copy', async () => {
    const storage = createSqliteStorage({ dataDir: join(dir.path, 'data') });
    for (let i = 0; i < 300; i++) await commit(storage.db, 'docs', `filler${i}`, ...createOp({ text: 'x'.repeat(2000) }));
    expect(await commit(storage.db, 'docs', 'counter', ...createOp({ n: 0 }))).toBe(true);
    let version = 1;
    let writing = true;
    // Commits arrive between event-loop turns, as they do from sockets (the backup steps on setImmediate).
    const writer = (async () => {
      while (writing && version < 20_000) {
        await new Promise((resolve) => setImmediate(resolve));
        const op = { v: version, src: 'w', seq: version + 1, op: [{ p: ['n'], na: 1 }] };
        expect(await commit(storage.db, 'docs', 'counter', op, { v: version + 1, type: JSON0, data: { n: version }, m: null }))
          .toBe(true);
        version++;
      }
    })();
    const dest = join(dir.path, 'busy.sqlite');
    await backupSqlite(storage.filename, dest);
    const finishedAt = version;
    writing = false;
    await writer;
    // Commits landed while the copy ran, and did not keep it from finishing.
    expect(finishedAt).toBeGreaterThan(1);
    expect(finishedAt).toBeLessThan(20_000);
    await storage.close();

    const copy = new SqliteDb({ filename: dest });
    const counter = await getSnapshot(copy, 'docs', 'counter');
    expect(counter.v).toBeGreaterThanOrEqual(1);
    expect(counter.v).toBeLessThanOrEqual(version);
    expect(counter.data).toEqual({ n: counter.v - 1 });
    expect(await getOps(copy, 'docs', 'counter')).toHaveLength(counter.v);
    copy.close();
  });

  it('refuses to overwrite a file and leaves nothing behind when the source is missing', async () => {
    const storage = createSqliteStorage({ dataDir: dir.path });
    const existing = join(dir.path, 'existing.sqlite');
    writeFileSync(existing, 'keep me');
    await expect(backupSqlite(storage.filename, existing)).rejects.toThrow(/already exists/);
    await storage.close();
    const dest = join(dir.path, 'never.sqlite');
    await expect(backupSqlite(join(dir.path, 'missing.sqlite'), dest)).rejects.toThrow(/No database/);
    expect(existsSync(dest)).toBe(false);
  });

  it('runs as a CLI into a folder, and prints how to restore', async () => {
    const storage = createSqliteStorage({ dataDir: join(dir.path, 'data') });
    await commit(storage.db, 'docs', 'one', ...createOp({ one: 1 }));
    const logs: string[] = [];
    const errors: string[] = [];
    const output = { log: (line: string) => void logs.push(line), error: (line: string) => void errors.push(line) };

    expect(await runBackupCli([join(dir.path, 'data'), dir.path], output)).toBe(0);
    expect(errors).toEqual([]);
    const copy = /to (\S+concord-[\dT-]+\.\d{3}Z\.sqlite) \(/.exec(logs[0] ?? '')?.[1];
    expect(copy && existsSync(copy)).toBe(true);
    expect(logs[1]).toMatch(/to restore: stop the server/);
    // A folder that does not exist yet, named with a trailing slash, is made; two backups in a row both land.
    const folder = join(dir.path, 'backups', 'nightly');
    expect(await runBackupCli([join(dir.path, 'data'), `${folder}/`], output)).toBe(0);
    expect(await runBackupCli([join(dir.path, 'data'), `${folder}/`], output)).toBe(0);
    expect(errors).toEqual([]);
    expect(readdirSync(folder).filter((name) => name.endsWith('.sqlite'))).toHaveLength(2);

    expect(await runBackupCli([], output)).toBe(2);
    expect(errors.at(-1)).toMatch(/^usage: node server\/dist\/backup-cli\.js <dataDir> <dest>/);
    expect(await runBackupCli([join(dir.path, 'nothing-here'), join(dir.path, 'x.sqlite')], output)).toBe(1);
    expect(errors.at(-1)).toMatch(/^backup failed: No database/);
    await storage.close();
  });
});
