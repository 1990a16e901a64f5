/**
 * A connection repeating ops at one old version would make the server transform each over every op since (and
 * send them all back): quadratic work that stalls the process. Only the first such op is served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { connectStock, create, submit } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('stale ops', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ limits: { opsPerSec: 0 } });
  });
  afterAll(async () => server.close());

  it('refuses ops older than the connection\'s own previous op, without transforming them', async () => {
    const honest = await connectStock(server.wsUrl);
    const doc = honest.connection.get('notes', 'stale');
    await create(doc, { n: 0 }, 'json0');
    for (let i = 0; i < 300; i++) await submit(doc, [{ p: ['n'], na: 1 }]);

    const raw = new WebSocket(server.wsUrl);
    const replies: Array<Record<string, unknown>> = [];
    raw.on('message', (data) => replies.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await new Promise((resolve) => raw.once('open', resolve));
    raw.send(JSON.stringify({ a: 'hs', protocol: 1, protocolMinor: 2 }));
    const id = (await waitFor('handshake', () => replies.find((m) => m['a'] === 'hs')))['id'];
    const transformsBefore = server.collab.engine.stats.transforms;
    for (let seq = 1; seq <= 50; seq++) {
      raw.send(JSON.stringify({ a: 'op', c: 'notes', d: 'stale', v: 1, src: id, seq, op: [{ p: ['n'], na: 1 }] }));
    }
    const answers = await waitFor('50 answers', () => {
      const ops = replies.filter((m) => m['a'] === 'op' && typeof m['seq'] === 'number' && m['c'] === 'notes' && (m['error'] !== undefined || m['src'] === id));
      const acks = new Map(ops.map((m) => [m['seq'], m]));
      return acks.size >= 50 ? [...acks.values()] : undefined;
    }, 20_000);
    const refused = answers.filter((m) => (m['error'] as { code?: string } | undefined)?.code === 'ERR_OP_INVALID');
    expect(refused.length).toBe(49);
    // The one stale op served was transformed over the 300 ops since; the refused ones over none.
    expect(server.collab.engine.stats.transforms - transformsBefore).toBe(300);
    raw.close();
    honest.close();
  });
});
