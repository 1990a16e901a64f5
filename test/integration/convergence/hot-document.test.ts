/**
 * A hot document on SQLite: submits to one document are pipelined (each builds on the previous one's state before it
 * is written) and committed in one transaction per event-loop turn. Every client must still receive every version in
 * order, its own ack included, so no stock client ever needs to fetch the document to catch up, and once: an op the
 * client already has is not sent again with the ack of its own op.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Doc } from 'sharedb/lib/client/index.js';
import { createSqliteStorage } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { connectStock, create, subscribe, submit, type StockClient } from '../../helpers/stock-client.js';

const CLIENTS = 12;
const OPS_EACH = 60;

describe('hot document on SQLite', () => {
  let server: TestServer | undefined;
  let dir: string | undefined;
  const clients: StockClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    server = dir = undefined;
  });

  it('commits concurrent submits together and delivers every version in order to every client', async () => {
    dir = mkdtempSync(join(tmpdir(), 'concord-hot-'));
    const storage = createSqliteStorage({ dataDir: dir });
    server = await startTestServer({ storage, limits: { opsPerSec: 0 } });
    let batches = 0;
    let batched = 0;
    const internals = (storage.db as unknown as { groupCommit: { batch: { immediate(batch: unknown[]): unknown } } }).groupCommit;
    const commitBatch = internals.batch;
    internals.batch = { immediate: (batch) => ((batches++, (batched += batch.length)), commitBatch.immediate(batch)) };

    const fetches: number[] = [];
    const duplicates: number[] = [];
    const docs: Doc[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const client = await connectStock(server.wsUrl);
      clients.push(client);
      fetches.push(0);
      duplicates.push(0);
      const send = client.socket.send.bind(client.socket);
      client.socket.send = ((data: string, ...rest: never[]) => {
        if ((JSON.parse(data) as { a?: string }).a === 'f') fetches[i]! += 1;
        return send(data, ...rest);
      }) as typeof client.socket.send;
      const doc = client.connection.get('notes', 'hot');
      docs.push(doc);
      // Seen before the client applies it: an op older than the document's version is one it already has.
      client.connection.on('receive', ({ data }: { data: { a?: string; op?: unknown; v?: number } }) => {
        if (data.a === 'op' && data.op !== undefined && typeof data.v === 'number' && doc.version !== null && data.v < doc.version) {
          duplicates[i]! += 1;
        }
      });
    }
    await create(docs[0]!, { n: 0 }, 'json1');
    await Promise.all(docs.map((doc) => subscribe(doc)));

    await Promise.all(docs.map(async (doc) => {
      for (let k = 0; k < OPS_EACH; k++) await submit(doc, ['n', { ena: 1 }]);
    }));
    const total = CLIENTS * OPS_EACH;
    const deadline = Date.now() + 10_000;
    while (docs.some((doc) => doc.version !== total + 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    expect(docs.map((doc) => doc.data)).toEqual(docs.map(() => ({ n: total })));
    expect(docs.map((doc) => doc.version)).toEqual(docs.map(() => total + 1));
    expect(fetches).toEqual(docs.map(() => 0)); // no version arrived out of order
    expect(duplicates).toEqual(docs.map(() => 0)); // and none twice
    // The commit-time stamp the delivery metric reads rides on the published op only, never into the op log.
    const logged = storage.db as unknown as { database: { prepare(sql: string): { pluck(): { all(): string[] } } } };
    const ops = logged.database.prepare('SELECT op FROM ops').pluck().all();
    expect(ops).toHaveLength(total + 1);
    expect(ops.filter((op) => 'ct' in (JSON.parse(op) as object))).toEqual([]);
    // Pipelining happened: some transactions held several commits of the one document.
    expect(batches).toBeGreaterThan(0);
    expect(batched / batches).toBeGreaterThan(1);
  }, 60_000);
});
