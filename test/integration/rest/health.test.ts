/** `/healthz` and `/readyz` over real HTTP, with a storage and a pub/sub whose probes the test can fail. */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ShareDB from 'sharedb';
import { createMemoryPubSub, type PubSubAdapter, type Storage } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { http } from './rest-helpers.js';

describe('health', () => {
  let server: TestServer;
  let storageUp = true;
  let pubsubUp = true;

  beforeAll(async () => {
    // A storage and pub/sub whose probes the test can fail, to see /readyz change.
    const require = createRequire(import.meta.url);
    const MemoryMilestoneDB = require('sharedb/lib/milestone-db/memory') as new () => ShareDB.MilestoneDB;
    const db = new ShareDB.MemoryDB();
    const storage: Storage = {
      kind: 'memory',
      db,
      milestoneDb: new MemoryMilestoneDB(),
      ping: () => (storageUp ? Promise.resolve() : Promise.reject(new Error('down'))),
      close: () => new Promise<void>((resolve) => db.close(() => resolve())),
    };
    const memory = createMemoryPubSub();
    const pubsub: PubSubAdapter = {
      kind: 'memory',
      pubsub: memory.pubsub,
      ping: () => (pubsubUp ? Promise.resolve() : Promise.reject(new Error('down'))),
      close: () => memory.close(),
    };
    server = await startTestServer({ storage, pubsub });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('GET /healthz answers 200 {"status":"ok"}', async () => {
    const reply = await http(server.httpUrl)('GET', '/healthz');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz follows storage and pub/sub', async () => {
    const req = http(server.httpUrl);
    expect(await req('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    pubsubUp = false;
    expect(await req('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'degraded', pubsub: 'down' } });
    storageUp = false;
    expect(await req('GET', '/readyz')).toMatchObject({ status: 503, body: { status: 'unavailable', storage: 'down' } });
    // Liveness does not depend on either.
    expect(await req('GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    storageUp = true;
    pubsubUp = true;
    expect(await req('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});
