/**
 * The MongoDB driver and node-redis are loaded only when a storage or pub/sub that needs them is created: a server
 * on SQLite (the default) or an app embedding the library without them never pays for them at start
 * (together about 40 MB of memory and 0.3 s of start-up here).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DRIVERS = /node_modules\/(redis|@redis\/[^/]+|mongodb|sharedb-mongo|sharedb-redis-pubsub)\//;

/** The driver packages in a fresh process's module cache after running `script` (an ES module body). */
function driversLoadedBy(script: string): string[] {
  const probe = `${script}
const { createRequire } = await import('node:module');
const loaded = Object.keys(createRequire(import.meta.url).cache).map((file) => ${DRIVERS}.exec(file)?.[1]).filter(Boolean);
process.stdout.write(JSON.stringify([...new Set(loaded)].sort()));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: ROOT, encoding: 'utf8' })) as string[];
}

describe('database and pub/sub drivers load on first use', () => {
  it('importing the library loads neither MongoDB nor Redis code', () => {
    expect(driversLoadedBy(`await import('./server/dist/index.js');`)).toEqual([]);
  });

  it('creating a MongoDB storage and a Redis pub/sub loads their drivers', () => {
    const loaded = driversLoadedBy(`
const { createMongoStorage, createRedisPubSub } = await import('./server/dist/index.js');
const storage = createMongoStorage({ url: 'mongodb://127.0.0.1:1/lazy-probe', serverSelectionTimeoutMS: 50 });
const pubsub = createRedisPubSub({ url: 'redis://127.0.0.1:1', maxReconnectDelayMs: 50 });
await Promise.allSettled([storage.close(), pubsub.close()]);`);
    expect(loaded).toEqual(expect.arrayContaining(['mongodb', 'redis', 'sharedb-mongo', 'sharedb-redis-pubsub']));
  });
});
