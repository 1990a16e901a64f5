/**
 * The submitter's ack does not wait for the fan-out. ShareDB runs afterWrite middleware before it answers the
 * submitter; an afterWrite middleware that returns a promise resumes only once ShareDB's process.nextTick chain has
 * run dry, and that chain is the op's fan-out to every other subscriber. Seen where the server hands messages to
 * each connection: the writer's ack goes out before the op goes to any subscriber.
 * On SQLite, whose group commit answers from a process.nextTick, as in production (the in-memory store answers in a
 * way that hid the delay).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStorage } from '@concord/server';
import { useSync } from '../../../server/dist/engine/middleware.js';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { connectStock, create, submit, subscribe, type StockClient } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('ack before fan-out', () => {
  let server: TestServer;
  const clients: StockClient[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'concord-fan-out-'));
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers the writer before the op is sent to the other subscribers', async () => {
    server = await startTestServer({ storage: createSqliteStorage({ dataDir }) });
    // Every op message the server sends, in the order it sends them: an ack has no `op`.
    const events: string[] = [];
    useSync(server.collab.engine.backend, 'connect', ({ agent }) => {
      const target = agent as unknown as { send(message: Record<string, unknown>): void };
      const send = target.send.bind(agent);
      target.send = (message) => {
        if (message['a'] === 'op' && typeof message['v'] === 'number') events.push(`${message['op'] ? 'op' : 'ack'} v${message['v']}`);
        send(message);
      };
    });

    const writer = await connectStock(server.wsUrl);
    clients.push(writer);
    const doc = writer.connection.get('notes', 'fan-out');
    await create(doc, { n: 0 }, 'json0');
    const mirrors: Array<{ data: unknown }> = [];
    for (let i = 0; i < 8; i++) {
      const reader = await connectStock(server.wsUrl);
      clients.push(reader);
      const mirror = reader.connection.get('notes', 'fan-out');
      await subscribe(mirror);
      mirrors.push(mirror);
    }
    // The first op also warms each connection's remembered read permission; the second is the steady state.
    for (const n of [1, 2]) {
      events.length = 0;
      await submit(doc, [{ p: ['n'], na: 1 }]);
      await waitFor('fan-out', () => mirrors.every((m) => (m.data as { n: number }).n === n));
      await waitFor('every delivery sent', () => events.length === 9);
      expect(events).toEqual([`ack v${n}`, ...Array(8).fill(`op v${n}`)]);
    }
  });
});
