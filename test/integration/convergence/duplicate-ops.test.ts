/**
 * The server sends a connection each version of a document once (see engine/duplicate-ops.ts), but only while the
 * client cannot have gone back in time: a client that subscribes, fetches or unsubscribes again may hold an older
 * version, and from then on it is sent every op it asks for, even ones it was sent before.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { connectStock, create, submit, type StockClient } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';

type Message = Record<string, unknown> & { a?: string; v?: number; op?: unknown };

/** A client speaking the protocol by hand, so that it can ask for versions a stock client never would. */
async function rawClient(url: string): Promise<{ send(m: Message): void; received: Message[]; close(): void }> {
  const socket = new WebSocket(url);
  const received: Message[] = [];
  socket.on('message', (data) => received.push(JSON.parse(data.toString()) as Message));
  await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
  socket.send(JSON.stringify({ a: 'hs', protocol: 1, protocolMinor: 1 }));
  await waitFor('handshake', () => received.some((m) => m.a === 'hs'));
  return { send: (m) => socket.send(JSON.stringify(m)), received, close: () => socket.close() };
}

const opVersions = (messages: Message[]): number[] =>
  messages.filter((m) => m.a === 'op' && m.op !== undefined).map((m) => m.v!);

describe('each version once per connection', () => {
  let server: TestServer | undefined;
  const closers: Array<() => void> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await server?.close();
    server = undefined;
  });

  async function setUp(): Promise<{ writer: StockClient; raw: Awaited<ReturnType<typeof rawClient>> }> {
    server = await startTestServer({ limits: { opsPerSec: 0 } });
    const writer = await connectStock(server.wsUrl);
    closers.push(() => writer.close());
    const doc = writer.connection.get('notes', 'rewind');
    await create(doc, { n: 0 }, 'json1');
    for (let i = 0; i < 3; i++) await submit(doc, ['n', { ena: 1 }]); // versions 1, 2, 3 → doc at v4
    const raw = await rawClient(server.wsUrl);
    closers.push(() => raw.close());
    raw.send({ a: 's', c: 'notes', d: 'rewind', v: 1 });
    await waitFor('ops 1-3', () => opVersions(raw.received).length === 3);
    return { writer, raw };
  }

  it('sends again the ops a client subscribes to again from an older version', async () => {
    const { raw } = await setUp();
    expect(opVersions(raw.received)).toEqual([1, 2, 3]);
    raw.send({ a: 'u', c: 'notes', d: 'rewind' });
    await waitFor('unsubscribed', () => raw.received.some((m) => m.a === 'u'));
    raw.send({ a: 's', c: 'notes', d: 'rewind', v: 2 });
    await waitFor('ops 2-3 again', () => opVersions(raw.received).length === 5);
    expect(opVersions(raw.received)).toEqual([1, 2, 3, 2, 3]);
  });

  it('sends again after a bulk subscribe from an older version', async () => {
    const { raw } = await setUp();
    raw.send({ a: 'bu', c: 'notes', b: ['rewind'] });
    await waitFor('unsubscribed', () => raw.received.some((m) => m.a === 'bu'));
    raw.send({ a: 'bs', c: 'notes', b: { rewind: 1 } });
    await waitFor('ops 1-3 again', () => opVersions(raw.received).length === 6);
    expect(opVersions(raw.received)).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('does not repeat, with the ack of an op, the ops the client was already sent', async () => {
    const { raw } = await setUp();
    // Submitted at version 1: transformed over 1, 2 and 3, which this connection has just been sent.
    raw.send({ a: 'op', c: 'notes', d: 'rewind', v: 1, seq: 1, op: ['n', { ena: 10 }] });
    await waitFor('ack', () => raw.received.find((m) => m.a === 'op' && m.op === undefined));
    const ack = raw.received.find((m) => m.a === 'op' && m.op === undefined)!;
    expect(ack.v).toBe(4);
    expect(ack.error).toBeUndefined();
    expect(opVersions(raw.received)).toEqual([1, 2, 3]);
  });

  it('still sends the ops a client that is not subscribed is missing before its ack', async () => {
    server = await startTestServer({ limits: { opsPerSec: 0 } });
    const writer = await connectStock(server.wsUrl);
    closers.push(() => writer.close());
    const doc = writer.connection.get('notes', 'behind');
    await create(doc, { n: 0 }, 'json1');
    const raw = await rawClient(server.wsUrl);
    closers.push(() => raw.close());
    raw.send({ a: 'f', c: 'notes', d: 'behind' });
    await waitFor('fetched', () => raw.received.some((m) => m.a === 'f'));
    for (let i = 0; i < 2; i++) await submit(doc, ['n', { ena: 1 }]); // versions 1, 2, unseen by the raw client
    raw.send({ a: 'op', c: 'notes', d: 'behind', v: 1, seq: 1, op: ['n', { ena: 10 }] });
    await waitFor('ack', () => raw.received.some((m) => m.a === 'op' && m.op === undefined));
    expect(opVersions(raw.received)).toEqual([1, 2]);
  });
});
