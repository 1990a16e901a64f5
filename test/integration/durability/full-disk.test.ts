/**
 * A full disk through the real server: the SQLite file is capped (`max_page_count`, SQLite's own size limit, which
 * fails writes with SQLITE_FULL exactly as a full file system does), and an op that needs more room is answered
 * ERR_STORAGE_UNAVAILABLE over the WebSocket and 503 over REST, while the process stays up, the socket stays open,
 * other documents (and small ops on the same one) keep working, and the big op goes through once there is room.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStorage } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { connectStock, create, submit, subscribe, type StockClient } from '../../helpers/stock-client.js';

let dataDir = '';
let server: TestServer | undefined;
let client: StockClient | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'concord-full-disk-'));
});
afterEach(async () => {
  client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

function submitError(doc: Parameters<typeof submit>[0], op: unknown): Promise<{ code?: unknown; message?: unknown } | undefined> {
  return new Promise((resolve) => doc.submitOp(op as never, {}, (err) => resolve(err as never)));
}

describe('a full disk', () => {
  it('answers the op with ERR_STORAGE_UNAVAILABLE while the process, the socket and other documents keep working', async () => {
    const storage = createSqliteStorage({ dataDir });
    server = await startTestServer({ storage });
    client = await connectStock(server.wsUrl);
    const full = client.connection.get('disk', 'full');
    const other = client.connection.get('disk', 'other');
    await Promise.all([subscribe(full), subscribe(other)]);
    await create(full, { n: 0 }, 'json0');
    await create(other, { n: 0 }, 'json0');

    // Room for small commits only: a few pages past what the file holds now.
    const database = storage.db.database;
    database.pragma(`max_page_count = ${(database.pragma('page_count', { simple: true }) as number) + 16}`);
    const big = 'x'.repeat(512 * 1024);

    const error = await submitError(full, [{ p: ['big'], oi: big }]);
    expect(error).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE', message: expect.stringMatching(/disk is full/) });
    // The stock client rolled its optimistic edit back; nothing of it was stored.
    expect(full.data).toEqual({ n: 0 });
    expect(full.version).toBe(1);

    const rest = await fetch(`${server.httpUrl}/api/docs/disk/full/ops`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ op: [{ p: ['big'], oi: big.slice(0, 256 * 1024) }], v: 1 }),
    });
    expect(rest.status).toBe(503);
    expect(await rest.json()).toMatchObject({ error: { code: 'ERR_STORAGE_UNAVAILABLE' } });

    // Everything else keeps working: the same socket, other documents, small ops on the same document, probes.
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    for (let i = 0; i < 3; i++) await submit(other, [{ p: ['n'], na: 1 }]);
    await submit(full, [{ p: ['n'], na: 5 }]);
    expect(await (await fetch(`${server.httpUrl}/api/docs/disk/other`)).json()).toEqual({ v: 4, type: 'json0', data: { n: 3 } });
    expect(await (await fetch(`${server.httpUrl}/api/docs/disk/full`)).json()).toEqual({ v: 2, type: 'json0', data: { n: 5 } });
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.httpUrl}/readyz`)).status).toBe(200);

    // Room again (space freed): the same op goes through.
    database.pragma('max_page_count = 1073741823');
    await submit(full, [{ p: ['big'], oi: big }]);
    const after = (await (await fetch(`${server.httpUrl}/api/docs/disk/full`)).json()) as { v: number; data: { big?: string } };
    expect(after.v).toBe(3);
    expect(after.data.big).toHaveLength(big.length);
  });
});
