import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStorage, type SharingProcess, type SqliteStorage } from '../../../server/dist/storage/index.js';
import { waitFor } from '../../helpers/wait-for.js';
import { spawnNodeScript, type NodeChild } from './node-child.js';
import { useTempDir } from './temp-dir.js';

/** A second server process: opens the same data folder and keeps it open until killed. */
const HOLDER = `
  const { createSqliteStorage } = await import(process.env.STORAGE_ENTRY);
  createSqliteStorage({ dataDir: process.env.DATA_DIR, heartbeatMs: 50,
    onSharedWithOtherProcess: (others) => console.log('shared with ' + others.map((o) => o.pid).join(',')) });
  console.log('opened');
  setInterval(() => {}, 1000);
`;

describe('createSqliteStorage', () => {
  const dir = useTempDir();
  const storages: SqliteStorage[] = [];
  const children: NodeChild[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.kill()));
    await Promise.all(storages.splice(0).map((storage) => storage.close()));
  });

  it('creates the folder and file, pings, and closes once', async () => {
    const dataDir = join(dir.path, 'nested', 'data');
    const storage = createSqliteStorage({ dataDir });
    expect(storage.kind).toBe('sqlite');
    expect(storage.filename).toBe(join(dataDir, 'concord.sqlite'));
    expect(existsSync(storage.filename)).toBe(true);
    await expect(storage.ping()).resolves.toBeUndefined();
    const closing = storage.close();
    expect(storage.close()).toBe(closing);
    await closing;
    await expect(storage.ping()).rejects.toThrow(/closed/);
  });

  it('tells a process that opens the folder when another live process has it open', async () => {
    const holder = spawnNodeScript(HOLDER, { DATA_DIR: dir.path });
    children.push(holder);
    await holder.waitForLine(/^opened$/);

    const seen: SharingProcess[][] = [];
    const storage = createSqliteStorage({ dataDir: dir.path, onSharedWithOtherProcess: (others) => seen.push([...others]) });
    storages.push(storage);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.map((other) => other.pid)).toEqual([holder.pid]);

    // The holder learns of us on its next heartbeat.
    expect(await holder.waitForLine(/^shared with/)).toBe(`shared with ${process.pid}`);

    await holder.kill();
    expect(storage.otherProcesses()).toEqual([]);
  });

  it('tells the first process when a second one opens the folder later, and stays quiet when alone', async () => {
    const seen: number[][] = [];
    const storage = createSqliteStorage({
      dataDir: dir.path,
      heartbeatMs: 20,
      onSharedWithOtherProcess: (others) => seen.push(others.map((other) => other.pid)),
    });
    storages.push(storage);
    expect(seen).toEqual([]);
    const holder = spawnNodeScript(HOLDER, { DATA_DIR: dir.path });
    children.push(holder);
    await waitFor('the shared-folder callback', () => seen.length > 0);
    expect(seen[0]).toEqual([holder.pid]);
  });

  it('does not count a process that died without closing', async () => {
    const holder = spawnNodeScript(HOLDER, { DATA_DIR: dir.path });
    children.push(holder);
    await holder.waitForLine(/^opened$/);
    await holder.kill(); // SIGKILL: its row stays behind
    const rows = () => {
      const raw = new Database(join(dir.path, 'concord.sqlite'), { readonly: true });
      const pids = raw.prepare<[], number>('SELECT pid FROM processes').pluck().all();
      raw.close();
      return pids;
    };
    expect(rows()).toEqual([holder.pid]);
    const seen: unknown[] = [];
    storages.push(createSqliteStorage({ dataDir: dir.path, onSharedWithOtherProcess: (others) => seen.push(others) }));
    expect(seen).toEqual([]);
    expect(rows()).toEqual([process.pid]);
  });
});
