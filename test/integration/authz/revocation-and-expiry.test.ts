/**
 * Revoking a grant reaches an open subscription: on the same instance at the next op, on another instance sharing
 * the storage within the access cache's TTL (2 s). A token expiring during a session closes its socket with 4401.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Doc } from 'sharedb/lib/client/index.js';
import { createJwtAuthenticator, createMemoryPubSub, createSqliteStorage } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { cb, connectAs, RULES, SECRET, token } from './authz-helpers.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setAcl(server: TestServer, who: string, roles: string[], id: string, grants: unknown[]): Promise<number> {
  const res = await fetch(`${server.httpUrl}/api/docs/notes/${id}/acl`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${await token(who, roles)}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ grants }),
  });
  return res.status;
}

/** Subscribes `doc`, recording the ops it receives and the error that ends the subscription. */
async function watch(doc: Doc): Promise<{ ops: number; error?: { code?: string }; errorAt?: number }> {
  const seen: { ops: number; error?: { code?: string }; errorAt?: number } = { ops: 0 };
  doc.on('op', () => void seen.ops++);
  doc.on('error', (err) => {
    seen.error ??= err as unknown as { code?: string };
    seen.errorAt ??= Date.now();
  });
  await cb((done) => doc.subscribe(done));
  return seen;
}

/** Alice edits until `stop()` says so, one op every 100 ms, as a live document would be edited. */
function keepEditing(doc: Doc, stop: () => boolean): Promise<void> {
  return (async () => {
    for (let i = 0; !stop() && i < 200; i++) {
      await cb((done) => doc.submitOp([{ p: ['n'], na: 1 }], {}, done as never));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
}

describe('revoking a grant', () => {
  it('ends the subscription at the next op on the same instance', async () => {
    const server = await startTestServer({ auth: createJwtAuthenticator({ secret: SECRET }), rules: RULES });
    cleanup.push(() => server.close());
    const alice = await connectAs(server.wsUrl, 'alice', ['user']);
    const bob = await connectAs(server.wsUrl, 'bob', ['user']);
    cleanup.push(() => alice.close(), () => bob.close());
    const doc = alice.connection.get('notes', 'live');
    await cb((done) => doc.create({ n: 0 }, 'json0', done));
    expect(await setAcl(server, 'alice', ['user'], 'live', [{ sub: 'bob', access: 'read' }])).toBe(200);
    const seen = await watch(bob.connection.get('notes', 'live'));
    await cb((done) => doc.submitOp([{ p: ['n'], na: 1 }], {}, done as never));
    await waitFor('bob to receive the op', () => seen.ops === 1);

    expect(await setAcl(server, 'alice', ['user'], 'live', [])).toBe(200);
    const revokedAt = Date.now();
    await cb((done) => doc.submitOp([{ p: ['n'], na: 1 }], {}, done as never));
    await waitFor('bob to be told', () => seen.error);
    expect(seen.error?.code).toBe('ERR_FORBIDDEN');
    expect(seen.ops).toBe(1);
    console.log(`same instance: revoked subscriber told after ${(seen.errorAt ?? 0) - revokedAt} ms`);
    // Nothing more reaches it.
    await cb((done) => doc.submitOp([{ p: ['n'], na: 1 }], {}, done as never));
    await cb((done) => alice.connection.fetchSnapshot('notes', 'live', null as never, done as never));
    expect(seen.ops).toBe(1);
  });

  it('reaches a subscriber on another instance within a few seconds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-authz-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const pubsub = createMemoryPubSub();
    const start = (): Promise<TestServer> => startTestServer({
      auth: createJwtAuthenticator({ secret: SECRET }), rules: RULES, pubsub,
      storage: createSqliteStorage({ dataDir: dir, heartbeatMs: 60_000 }),
    });
    const a = await start();
    const b = await start();
    cleanup.push(() => a.close(), () => b.close());
    const alice = await connectAs(a.wsUrl, 'alice', ['user']);
    const bob = await connectAs(b.wsUrl, 'bob', ['user']);
    cleanup.push(() => alice.close(), () => bob.close());
    const doc = alice.connection.get('notes', 'shared-live');
    await cb((done) => doc.create({ n: 0 }, 'json0', done));
    expect(await setAcl(a, 'alice', ['user'], 'shared-live', [{ sub: 'bob', access: 'write' }])).toBe(200);
    const seen = await watch(bob.connection.get('notes', 'shared-live'));
    await cb((done) => doc.submitOp([{ p: ['n'], na: 1 }], {}, done as never));
    await waitFor('bob to receive the op across instances', () => seen.ops >= 1);

    expect(await setAcl(a, 'alice', ['user'], 'shared-live', [])).toBe(200);
    const revokedAt = Date.now();
    const editing = keepEditing(doc, () => seen.error !== undefined);
    await waitFor('the revocation to reach instance B', () => seen.error, 8000);
    await editing;
    const latency = (seen.errorAt ?? 0) - revokedAt;
    console.log(`other instance: revoked subscriber told after ${latency} ms (access cache TTL 2000 ms)`);
    expect(seen.error?.code).toBe('ERR_FORBIDDEN');
    expect(latency).toBeLessThan(3000);
    // Bob's writes are refused on B as well.
    const bobDoc = bob.connection.get('notes', 'shared-live');
    expect(await new Promise((resolve) => bobDoc.submitOp([{ p: ['n'], na: 1 }], {}, (err) => resolve((err as unknown as { code?: string } | undefined)?.code))))
      .toBe('ERR_FORBIDDEN');
  });
});

describe('token expiry during a session', () => {
  it('closes the socket with 4401 when exp passes', async () => {
    const server = await startTestServer({ auth: createJwtAuthenticator({ secret: SECRET }), rules: RULES });
    cleanup.push(() => server.close());
    const client = await connectAs(server.wsUrl, 'alice', ['user'], 2);
    cleanup.push(() => client.close());
    const opened = Date.now();
    await cb((done) => client.connection.get('notes', 'e').create({}, 'json0', done)); // the session works until then
    const { code } = await client.closed;
    expect(code).toBe(4401);
    const after = Date.now() - opened;
    expect(after).toBeLessThan(4000);
  });
});
