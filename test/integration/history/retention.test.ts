/**
 * Op-log retention over REST and the WebSocket, on memory and SQLite storage: pruning by kept versions and by age
 * cuts at milestones and never removes them; pruned reads answer 410 ERR_HISTORY_PRUNED with the nearest versions
 * that remain; milestone versions are still served; a client too far behind gets ERR_HISTORY_PRUNED over the socket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import ShareDBClient from 'sharedb/lib/client/index.js';
import type { SqliteStorage } from '../../../server/dist/storage/index.js';
import { call, subscribe } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';
import { addOps, makeDoc, startHistoryServer, stockConnection, submitOutcome, type HistoryServer, type Kind } from './history-helpers.js';

const DAY = 86_400_000;

describe.each<Kind>(['memory', 'sqlite'])('retention on %s storage', (kind) => {
  let server: HistoryServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('keepVersions: deletes ops below the newest milestone at or under v - N; milestones and the snapshot stay', async () => {
    server = await startHistoryServer(kind, 10, { retention: { policies: { notes: { keepVersions: 25 } }, intervalMs: 0, afterCommit: false } });
    await makeDoc(server, 'notes', 'a', 100);
    await makeDoc(server, 'other', 'b', 100); // no policy: untouched
    const result = await server.collab.engine.retention!.sweep();
    // target 75, cut at milestone 70: ops 0..69 gone
    expect(result).toEqual({ documents: 1, opsDeleted: 70 });
    const history = server.storage.history!;
    expect(await history.oldestOpVersion('notes', 'a')).toBe(70);
    expect(await history.oldestOpVersion('other', 'b')).toBe(0);
    expect(await history.milestoneVersions('notes', 'a')).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect((await server.req('GET', '/api/docs/notes/a')).body).toEqual({ v: 100, type: 'json0', data: { n: 99 } });

    // Every version from the oldest op on is readable; older ones only at milestones.
    expect((await server.req('GET', '/api/docs/notes/a?version=70')).body).toMatchObject({ v: 70, data: { n: 69 } });
    expect((await server.req('GET', '/api/docs/notes/a?version=83')).body).toMatchObject({ v: 83, data: { n: 82 } });
    expect((await server.req('GET', '/api/docs/notes/a?version=30')).body).toMatchObject({ v: 30, data: { n: 29 } });
    const pruned = await server.req('GET', '/api/docs/notes/a?version=35');
    expect(pruned.status).toBe(410);
    expect(pruned.body.error).toMatchObject({
      code: 'ERR_HISTORY_PRUNED',
      details: { version: 35, oldest: 70, nearestMilestones: [30, 40] },
    });
    const ops = await server.req('GET', '/api/docs/notes/a/ops?from=50&to=80');
    expect(ops.status).toBe(410);
    expect(ops.body.error.code).toBe('ERR_HISTORY_PRUNED');
    expect(ops.body.error.details).toMatchObject({ version: 50, oldest: 70 });
    const kept = await server.req('GET', '/api/docs/notes/a/ops?from=70&to=72');
    expect(kept.body.ops.map((op: { v: number }) => op.v)).toEqual([70, 71]);

    // A second sweep finds nothing more to delete until the document grows.
    expect((await server.collab.engine.retention!.sweep()).opsDeleted).toBe(0);
  });

  it('saves a milestone at the target when milestones are missing (the interval was lowered since)', async () => {
    server = await startHistoryServer(kind, 1000, { retention: { policies: { notes: { keepVersions: 20 } }, intervalMs: 0 } });
    await makeDoc(server, 'notes', 'big', 60); // no milestone at interval 1000
    (server.storage.milestoneDb as unknown as { interval: number }).interval = 10;
    expect(await server.collab.engine.retention!.prune('notes', 'big')).toBe(40);
    expect(await server.storage.history!.milestoneVersions('notes', 'big')).toEqual([40]);
    expect((await server.req('GET', '/api/docs/notes/big?version=40')).body).toMatchObject({ v: 40, data: { n: 39 } });
    expect((await server.req('GET', '/api/docs/notes/big?version=55')).body).toMatchObject({ v: 55, data: { n: 54 } });
    expect((await server.req('GET', '/api/docs/notes/big?version=39')).status).toBe(410);
    // With milestones in place, a prune waits for the next one rather than saving its own.
    await addOps(server, 'notes', 'big', 5);
    expect(await server.collab.engine.retention!.prune('notes', 'big')).toBe(0);
  });

  it('maxAgeDays: deletes ops older than the age (injected clock), cutting at a milestone', async () => {
    const now = Date.now();
    server = await startHistoryServer(kind, 10, { retention: { policies: { chat: { maxAgeDays: 30 } }, intervalMs: 0, now: () => now } });
    await makeDoc(server, 'chat', 'c', 40);
    expect((await server.collab.engine.retention!.sweep()).opsDeleted).toBe(0);
    await addOps(server, 'chat', 'c', 25);
    // The first 40 versions' ops were committed 31 days ago (stamped in storage); the clock says now.
    await ageOps(server, kind, 'chat', 'c', 40, now - 31 * DAY);
    const result = await server.collab.engine.retention!.sweep();
    expect(result.opsDeleted).toBe(40);
    expect(await server.storage.history!.oldestOpVersion('chat', 'c')).toBe(40);
    expect((await server.req('GET', '/api/docs/chat/c?version=52')).body).toMatchObject({ v: 52, data: { n: 51 } });
    expect((await server.req('GET', '/api/docs/chat/c?version=12')).status).toBe(410);
    // A time read before the cut: 410 too (the ops to rebuild it are gone), unless it falls on the current state.
    expect((await server.req('GET', `/api/docs/chat/c?at=${now - 40 * DAY}`)).status).toBe(410);
    expect((await server.req('GET', `/api/docs/chat/c?at=${now + DAY}`)).body).toMatchObject({ v: 65 });
  });

  it('runs by itself: the periodic sweep and the prune after a commit that reaches a milestone', async () => {
    server = await startHistoryServer(kind, 10, { retention: { policies: { notes: { keepVersions: 5 } }, intervalMs: 0 } });
    await makeDoc(server, 'notes', 'live', 30); // after-commit prune at 10, 20, 30
    await waitFor('after-commit prune', async () => (await server!.storage.history!.oldestOpVersion('notes', 'live')) === 20);
    await server.close();
    server = await startHistoryServer(kind, 10, { retention: { policies: { notes: { keepVersions: 5 } }, intervalMs: 50, afterCommit: false } });
    await makeDoc(server, 'notes', 'swept', 30);
    await waitFor('periodic sweep', async () => (await server!.storage.history!.oldestOpVersion('notes', 'swept')) === 20);
  });

  it('a client too far behind gets ERR_HISTORY_PRUNED for its op and its catch-up over the WebSocket', async () => {
    server = await startHistoryServer(kind, 10, { retention: { policies: { notes: { keepVersions: 10 } }, intervalMs: 0 } });
    await makeDoc(server, 'notes', 'far', 5);
    const client = stockConnection(server.wsUrl, ShareDBClient as never);
    const doc = client.connection.get('notes', 'far');
    await subscribe(doc);
    expect(doc.version).toBe(5);
    await client.drop();
    const outcome = submitOutcome(doc, [{ p: ['n'], na: 100 }]); // pending while offline
    await addOps(server, 'notes', 'far', 60);
    await server.collab.engine.retention!.sweep();
    expect(await server.storage.history!.oldestOpVersion('notes', 'far')).toBe(50);
    client.reconnect();
    expect((await outcome)?.code).toBe('ERR_HISTORY_PRUNED');
    expect((await server.req('GET', '/api/docs/notes/far')).body.data).toEqual({ n: 64 }); // the op never landed
    client.close();

    // A snapshot fetch of a pruned version over the socket: the same code.
    const reader = stockConnection(server.wsUrl, ShareDBClient as never);
    const fetched = await new Promise<{ code?: string }>((resolve) =>
      reader.connection.fetchSnapshot('notes', 'far', 12, (err: unknown) => resolve(err as { code?: string })));
    expect(fetched?.code).toBe('ERR_HISTORY_PRUNED');
    const atMilestone = await call<{ v: number; data: unknown }>((cb) => reader.connection.fetchSnapshot('notes', 'far', 20, cb as never));
    expect(atMilestone).toMatchObject({ v: 20, data: { n: 19 } });
    reader.close();
  });

  it('an Idempotency-Key retry sent with a later v is recognised while its first application is still stored', async () => {
    server = await startHistoryServer(kind, 10, { retention: { policies: { notes: { keepVersions: 5 } }, intervalMs: 0, afterCommit: false } });
    await makeDoc(server, 'notes', 'keyed', 30);
    expect(await server.collab.engine.retention!.prune('notes', 'keyed')).toBe(20); // ops from 20 on are kept
    const post = async (v: number) => {
      const res = await fetch(`${server!.httpUrl}/api/docs/notes/keyed/ops`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'pruned-window-1' },
        body: JSON.stringify({ v, op: [{ p: ['n'], na: 100 }] }),
      });
      return { status: res.status, body: await res.json() };
    };
    expect(await post(30)).toEqual({ status: 200, body: { v: 31 } });
    // The client did not see the answer, read the document again (v 31) and retries with that v: the lookback
    // window (the 1000 versions before 31) reaches below the oldest stored op, but the first application, at 30,
    // is stored. It was read as a whole and failed with ERR_HISTORY_PRUNED, and the retry was applied again.
    expect(await post(31)).toEqual({ status: 200, body: { v: 31 } });
    expect((await server.req('GET', '/api/docs/notes/keyed')).body).toEqual({ v: 31, type: 'json0', data: { n: 129 } });
  });
});

/** Sets the `m.ts` of the ops below `before` to `ts`, directly in storage. */
async function ageOps(server: HistoryServer, kind: Kind, collection: string, id: string, before: number, ts: number): Promise<void> {
  if (kind === 'sqlite') {
    (server.storage as SqliteStorage).db.database
      .prepare("UPDATE ops SET op = json_set(op, '$.m.ts', ?) WHERE collection = ? AND id = ? AND v < ?")
      .run(ts, collection, id, before);
    return;
  }
  const log = (server.storage.db as unknown as { ops: Record<string, Record<string, Array<{ m: { ts: number } } | null>>> }).ops[collection]![id]!;
  for (let v = 0; v < before; v++) log[v]!.m.ts = ts;
}
