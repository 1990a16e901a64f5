/**
 * MongoDB storage as the standalone server runs it. With `MONGO_URL` at a closed port the process still starts
 * (the driver keeps trying), says within seconds that MongoDB is unreachable, answers `/readyz` 503 naming storage
 * and `/healthz` 200, and stops cleanly on SIGTERM even though it never connected. With `TEST_MONGO_URL` (a real
 * MongoDB), the restart scenario of restart.test.ts runs against it, in a database of its own that is dropped after.
 */
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../../helpers/child-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { runRestartScenario } from './restart-scenario.js';

const CLOSED_PORT_URL = 'mongodb://concord:s3cret-pw@127.0.0.1:1/concord';

async function exitWithin(server: ChildServer, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  try {
    return await Promise.race([server.exited, hung]);
  } finally {
    clearTimeout(timer);
    if (server.process.exitCode === null && server.process.signalCode === null) server.kill('SIGKILL');
  }
}

describe('MONGO_URL pointing at a closed port', () => {
  it('starts, names MongoDB and storage within seconds, answers /readyz 503 and /healthz 200, and exits 0 on SIGTERM', async () => {
    // STORAGE defaults to mongo when MONGO_URL is set.
    const server = await startChildServer({ MONGO_URL: CLOSED_PORT_URL });
    try {
      const listening = Date.now();
      const ready = await fetch(`${server.httpUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'unavailable', storage: 'down' });
      const health = await fetch(`${server.httpUrl}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      const line = await waitFor('a start message naming MongoDB', () =>
        server.output().split('\n').find((l) => /MongoDB/.test(l) && /unreachable/.test(l)), 20_000, 50);
      console.log(`closed-port MongoDB reported ${Date.now() - listening} ms after listening: ${line}`);
      expect(line).toMatch(/storage/);
      expect(line).toContain('127.0.0.1:1');
      expect(line).toContain('/readyz');
      // The password in MONGO_URL never reaches the output.
      expect(server.output()).not.toContain('s3cret-pw');
      // Still not ready, still alive.
      expect((await fetch(`${server.httpUrl}/readyz`)).status).toBe(503);
    } finally {
      server.kill('SIGTERM');
    }
    expect(await exitWithin(server, 10_000)).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('stops with exit 0 on a SIGTERM right after the start, while the first connection attempt is pending', async () => {
    const server = await startChildServer({ STORAGE: 'mongo', MONGO_URL: CLOSED_PORT_URL });
    server.kill('SIGTERM');
    expect(await exitWithin(server, 10_000)).toEqual({ code: 0, signal: null });
  }, 30_000);
});

const TEST_MONGO_URL = process.env['TEST_MONGO_URL'];
if (!TEST_MONGO_URL) console.log('MongoDB restart tests skipped: TEST_MONGO_URL not set');

/**
 * `TEST_MONGO_URL` with its database replaced by `name` (the path of a mongodb:// URL names the database). With
 * credentials and no `authSource`, the driver authenticates against the path's database, so that is kept as
 * `authSource` (`admin` when there was none).
 */
function withDatabase(url: string, name: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/)([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(url);
  if (!match) throw new Error('TEST_MONGO_URL is not a mongodb:// URL');
  const [, scheme, authority = '', database = '', query = ''] = match;
  const params = query ? query.split('&') : [];
  if (authority.includes('@') && !params.some((p) => p.startsWith('authSource='))) {
    params.push(`authSource=${database || 'admin'}`);
  }
  return `${scheme}${authority}/${name}${params.length ? `?${params.join('&')}` : ''}`;
}

describe.skipIf(!TEST_MONGO_URL)('restarting on MongoDB (TEST_MONGO_URL)', () => {
  const dbName = `concord_restart_${randomBytes(4).toString('hex')}`;
  // The body of a skipped describe still runs (to collect its tests): nothing here may need the URL.
  const url = TEST_MONGO_URL ? withDatabase(TEST_MONGO_URL, dbName) : '';

  afterAll(async () => {
    if (!url) return;
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
    try {
      await client.db(dbName).dropDatabase();
    } finally {
      await client.close();
    }
  });

  it('keeps every document, version and history read through a SIGTERM restart and a kill -9 restart', async () => {
    await runRestartScenario({ env: { STORAGE: 'mongo', MONGO_URL: url }, milestoneInterval: 5 });
  }, 120_000);
});
