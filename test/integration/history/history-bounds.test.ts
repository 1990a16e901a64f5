/**
 * History reads are served from the nearest milestone plus at most MILESTONE_INTERVAL ops: a spy on the storage's
 * getOps counts the ops each read replays, on a document of 2,000 versions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeDoc, startHistoryServer, type HistoryServer, type Kind } from './history-helpers.js';

describe.each<Kind>(['memory', 'sqlite'])('history reads on %s storage', (kind) => {
  let server: HistoryServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('replay at most MILESTONE_INTERVAL ops per read, by version and by time; op ranges are capped at 1000', async () => {
    const interval = 50;
    server = await startHistoryServer(kind, interval);
    await makeDoc(server, 'notes', 'long', 2000);
    const db = server.storage.db as unknown as { getOps: (...args: unknown[]) => void };
    const original = db.getOps;
    let read = 0;
    let calls = 0;
    db.getOps = (...args: unknown[]) => {
      const cb = args[5] as (err: unknown, ops?: unknown[]) => void;
      calls++;
      original.call(db, ...args.slice(0, 5), (err: unknown, ops?: unknown[]) => {
        read += ops?.length ?? 0;
        cb(err, ops);
      });
    };
    const measure = async (path: string): Promise<{ status: number; read: number; body: any }> => {
      read = 0;
      const reply = await server!.req('GET', path);
      return { ...reply, read };
    };
    for (const version of [1, 49, 50, 51, 999, 1234, 1999]) {
      const reply = await measure(`/api/docs/notes/long?version=${version}`);
      expect(reply.body).toMatchObject({ v: version, data: { n: version - 1 } });
      expect(reply.read).toBeLessThan(interval);
    }
    // By time: the version committed at a given op's timestamp.
    const ops = await server.req('GET', '/api/docs/notes/long/ops?from=1500&to=1501');
    const at = ops.body.ops[0].m.ts as number;
    const byTime = await measure(`/api/docs/notes/long?at=${at}`);
    expect(byTime.status).toBe(200);
    expect(byTime.read).toBeLessThanOrEqual(interval);
    // (ops committed within the same millisecond share a timestamp)
    expect(byTime.body.data.n).toBeGreaterThanOrEqual(1450);
    expect(byTime.body.data.n).toBeLessThanOrEqual(1550);
    // Op ranges: 1000 at most per call.
    const range = await measure('/api/docs/notes/long/ops?from=0');
    expect(range.body.ops).toHaveLength(1000);
    expect(range.body.next).toBe(1000);
    expect(range.read).toBeLessThanOrEqual(1001);
    expect(calls).toBeGreaterThan(0);
  });
});
