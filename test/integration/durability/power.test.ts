/**
 * DURABILITY=power: the server starts with it, commits, and survives a kill -9 under load like `process` does; the
 * setting reaches SQLite as synchronous=FULL (read on the handle the standalone server opens from the
 * configuration, since the pragma is per connection); and, where strace is available, the behaviour it buys is
 * visible: the WAL is fsynced for every acknowledged commit with `power`, and not with `process`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, loadConfig, startServer, type createSqliteStorage } from '@concord/server';
import { MAIN, startChildServer } from '../../helpers/child-server.js';
import { connectStock, create, submit, subscribe } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';
import { COLLECTION, DOCS, Ledger } from './marker-load.js';
import { describeFigures, killCycle } from './kill-cycle.js';
import { readStore } from './store-check.js';

let dataDir = '';
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'concord-power-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

const hasStrace = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
if (!hasStrace) console.log('fsync-per-commit test skipped: strace is not installed');

describe('DURABILITY=power', () => {
  it('commits under load and keeps every acknowledged op through a kill -9', async () => {
    const seed = Number(process.env['KILL_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
    const ledger = new Ledger();
    const result = await killCycle({ dataDir, cycle: 1, seed, ledger, createDocs: true, env: { DURABILITY: 'power' } });
    console.log(`power kill run (seed ${seed}, SIGKILL ${result.killAtMs} ms after the first ack): ${describeFigures(result.figures)}`);
    expect(result.exit, result.output).toEqual({ code: null, signal: 'SIGKILL' });
    expect(result.check.problems).toEqual([]);
    expect(result.figures.failed).toBe(0);
    expect(result.figures.acknowledged).toBeGreaterThan(0);

    const stored = readStore(dataDir, COLLECTION);
    const server = await startChildServer({ STORAGE: 'sqlite', DATA_DIR: dataDir, DURABILITY: 'power' });
    try {
      for (const spec of DOCS) {
        const doc = stored.find((d) => d.id === spec.id);
        const res = await fetch(`${server.httpUrl}/api/docs/${COLLECTION}/${spec.id}`);
        expect(await res.json()).toEqual({ v: doc?.v, type: spec.type, data: doc?.data });
      }
    } finally {
      server.kill('SIGTERM');
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('reaches SQLite as synchronous=FULL (process: NORMAL) through the configuration the standalone server loads', async () => {
    const synchronous = async (durability: string): Promise<unknown> => {
      const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DURABILITY: durability, LOG_LEVEL: 'silent' });
      const server = await startServer(config, createLogger({ level: 'silent' }));
      try {
        const storage = server.collab.engine.storage as ReturnType<typeof createSqliteStorage>;
        expect(storage.kind).toBe('sqlite');
        return storage.db.database.pragma('synchronous', { simple: true });
      } finally {
        await server.close();
      }
    };
    expect(await synchronous('power')).toBe(2); // FULL
    expect(await synchronous('process')).toBe(1); // NORMAL
  });

  it('refuses an unknown DURABILITY at start, naming the variable', async () => {
    await expect(startChildServer({ STORAGE: 'sqlite', DATA_DIR: dataDir, DURABILITY: 'fsync' })).rejects.toThrow(/DURABILITY/);
  });

  it.skipIf(!hasStrace)('fsyncs the WAL before every acknowledged commit with power, not with process', async () => {
    const OPS = 30;
    const power = await walSyncsFor('power', join(dataDir, 'power'), OPS);
    const processLevel = await walSyncsFor('process', join(dataDir, 'process'), OPS);
    console.log(`WAL fsyncs for ${OPS + 1} acknowledged commits: power ${power}, process ${processLevel}`);
    expect(power).toBeGreaterThanOrEqual(OPS + 1);
    expect(processLevel).toBeLessThan(OPS / 3);
  }, 60_000);
});

/**
 * Runs the standalone server under `strace -f -y -e fsync,fdatasync`, commits a create and `ops` ops from a stock
 * client (each awaited: acknowledged), stops it with SIGTERM and counts the fsyncs of the WAL file.
 */
async function walSyncsFor(durability: string, dir: string, ops: number): Promise<number> {
  const trace = `${dir}.strace`;
  const tracer = spawn('strace', ['-f', '-qq', '-y', '-e', 'trace=fsync,fdatasync', '-o', trace, process.execPath, MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', STORAGE: 'sqlite', DATA_DIR: dir, DURABILITY: durability },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => tracer.once('exit', (code) => resolve(code)));
  let out = '';
  tracer.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString()));
  tracer.stderr.on('data', (chunk: Buffer) => void (out += chunk.toString()));
  try {
    const url = await waitFor('listening under strace', () => /listening on (http:\/\/\S+)/.exec(out)?.[1], 30_000);
    // The traced server is strace's child; signals go to it, not to strace (which would only detach).
    const serverPid = Number(readFileSync(`/proc/${tracer.pid}/task/${tracer.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    const client = await connectStock(`${url.replace(/^http/, 'ws')}/ws`);
    const doc = client.connection.get('power', 'doc');
    await subscribe(doc);
    await create(doc, { n: 0 }, 'json0');
    for (let i = 0; i < ops; i++) await submit(doc, [{ p: ['n'], na: 1 }]);
    client.close();
    process.kill(serverPid, 'SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (tracer.exitCode === null) tracer.kill('SIGKILL');
  }
  return readFileSync(trace, 'utf8').split('\n').filter((line) => /f(data)?sync\(\d+<[^>]*concord\.sqlite-wal>/.test(line)).length;
}
