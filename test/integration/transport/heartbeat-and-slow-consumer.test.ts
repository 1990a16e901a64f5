/**
 * The transport reaps peers that stop answering pings, and disconnects a reader too slow to keep up (1013) instead
 * of buffering for it without bound, while the other clients carry on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { call, connectStock, create, submit, subscribe, type StockClient } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';
import { handshake, openRaw, type RawSocket } from './raw-socket.js';

let server: TestServer | undefined;
const clients: StockClient[] = [];
const raws: RawSocket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const raw of raws.splice(0)) raw.socket.terminate();
  await server?.close();
  server = undefined;
});

/** A raw peer that answers pings only while `answering` is true (autoPong off), like a client whose network dies. */
async function pingedPeer(url: string): Promise<{ peer: RawSocket; pings: () => number; stopAnswering: () => void }> {
  const peer = await openRaw(url, { autoPong: false });
  raws.push(peer);
  await handshake(peer);
  let answering = true;
  let pings = 0;
  peer.socket.on('ping', (data) => {
    pings++;
    if (answering) peer.socket.pong(data);
  });
  return { peer, pings: () => pings, stopAnswering: () => (answering = false) };
}

/** A presence update: from then on the peer is one whose loss others must see within 5 s. */
function sendPresence(peer: RawSocket): void {
  peer.send(JSON.stringify({ a: 'p', ch: 'docs.hb', id: 'cursor', pv: 0, c: 'docs', d: 'hb', v: 0, p: { index: 0, length: 0 } }));
}

describe('heartbeat', () => {
  // Long enough that a pong delayed by a loaded 2-core machine still arrives within one interval.
  const HEARTBEAT_MS = 1000;

  it('terminates a peer with presence that stops answering pings within two intervals, and only that one', async () => {
    server = await startTestServer({ limits: { heartbeatMs: HEARTBEAT_MS } });
    const honest = await connectStock(server.wsUrl);
    clients.push(honest);
    const { peer, pings, stopAnswering } = await pingedPeer(server.wsUrl);
    sendPresence(peer);

    // While it answers, it survives several heartbeat rounds.
    await waitFor('three pings answered', () => pings() >= 3, 20_000);
    expect(peer.isClosed()).toBe(false);
    expect(server.collab.connectionCount).toBe(2);

    stopAnswering();
    const stoppedAt = Date.now();
    const { code } = await peer.closed;
    // Terminated, not closed politely: the client sees an abnormal closure.
    expect(code).toBe(1006);
    // At most two heartbeat intervals after the first unanswered ping (generous bound for a loaded machine).
    expect(Date.now() - stoppedAt).toBeLessThan(HEARTBEAT_MS * 2 + 3_000);
    await waitFor('the server to drop the dead peer', () => server?.collab.connectionCount === 1);

    // The honest client (the ws package answers pings itself) is still connected and served.
    expect(honest.socket.readyState).toBe(WebSocket.OPEN);
    const doc = honest.connection.get('docs', 'alive');
    await create(doc, { ok: true }, 'json0');
    await call((cb) => doc.fetch(cb));
    expect(doc.data).toEqual({ ok: true });
  });

  it('pings a peer that never sent presence every fifth interval, and still reaps it when it goes silent', async () => {
    server = await startTestServer({ limits: { heartbeatMs: HEARTBEAT_MS } });
    const quiet = await pingedPeer(server.wsUrl);
    const present = await pingedPeer(server.wsUrl);
    sendPresence(present.peer);
    await waitFor('six pings to the peer with presence', () => present.pings() >= 6, 20_000);
    // Six heartbeats: the quiet peer was due at most twice (once per five, wherever its turn falls).
    expect(quiet.pings()).toBeGreaterThanOrEqual(1);
    expect(quiet.pings()).toBeLessThanOrEqual(2);

    quiet.stopAnswering();
    const stoppedAt = Date.now();
    const { code } = await quiet.peer.closed;
    expect(code).toBe(1006);
    // At most two of its ping intervals after it stopped answering (generous bound for a loaded machine).
    expect(Date.now() - stoppedAt).toBeLessThan(HEARTBEAT_MS * 5 * 2 + 3_000);
    expect(present.peer.isClosed()).toBe(false);
  });
});

describe('slow consumer', () => {
  // Each op replaces the whole text with OP_BYTES of fresh text, so every broadcast is ~OP_BYTES on the wire.
  const OP_BYTES = 256 * 1024;
  const MAX_BUFFERED_BYTES = 64 * 1024;
  // Several times the loopback socket buffers of both ends (about 4 MiB here) plus maxBufferedBytes, so that a reader
  // that stopped reading must have been cut off by the server rather than buffered for. Kept well short of what
  // takes ws's 30 s close timeout to send on a loaded machine (past it, the queued close frame would be dropped).
  const FLOOD_BYTES = 16 * 1024 * 1024;

  it('closes a reader that stopped reading with 1013 while the others continue', async () => {
    // A paused reader cannot answer pings either: with the default heartbeat it would be reaped as a dead peer
    // (1006) before the flood ends. A long heartbeat isolates the slow-consumer rule.
    server = await startTestServer({ limits: { maxBufferedBytes: MAX_BUFFERED_BYTES, heartbeatMs: 600_000 } });
    const writer = await connectStock(server.wsUrl);
    const reader = await connectStock(server.wsUrl);
    clients.push(writer, reader);
    const writerDoc = writer.connection.get('docs', 'flood');
    await create(writerDoc, '', 'text-unicode');
    const readerDoc = reader.connection.get('docs', 'flood');
    await subscribe(readerDoc);

    const slow = await openRaw(server.wsUrl);
    raws.push(slow);
    await handshake(slow);
    slow.send(JSON.stringify({ a: 's', c: 'docs', d: 'flood' }));
    await slow.next((m) => m['a'] === 's' && m['d'] === 'flood' && m['error'] === undefined, 'subscribe reply');
    const opsSeenBeforePause = slow.messages.filter((m) => m['a'] === 'op').length;
    // Stop reading: from now on the server's writes pile up in the kernel buffers, then in its own send buffer.
    slow.tcp().pause();

    const opCount = Math.ceil(FLOOD_BYTES / OP_BYTES);
    let length = 0;
    for (let i = 0; i < opCount; i++) {
      const text = String.fromCharCode(97 + (i % 26)).repeat(OP_BYTES);
      await submit(writerDoc, length === 0 ? [text] : [{ d: length }, text]);
      length = OP_BYTES;
    }
    expect(writerDoc.hasPending()).toBe(false);
    expect(writerDoc.version).toBe(1 + opCount);
    // The reader that keeps up sees every op.
    await waitFor('the reader to receive every op', () => readerDoc.version === writerDoc.version, 30_000);
    expect(readerDoc.data).toBe(writerDoc.data);

    // Once the slow client reads again it finds the close frame the server queued when its buffer overflowed.
    slow.tcp().resume();
    const { code, reason } = await slow.closed;
    expect(code).toBe(1013);
    expect(reason).toBe('ERR_SLOW_CONSUMER');
    const opsReceived = slow.messages.filter((m) => m['a'] === 'op').length - opsSeenBeforePause;
    // It was cut off, not buffered for: it got only a part of the flood.
    expect(opsReceived).toBeLessThan(opCount);
    await waitFor('the server to drop the slow client', () => server?.collab.connectionCount === 2);

    // The others are unaffected: still open and still editing.
    expect(writer.socket.readyState).toBe(WebSocket.OPEN);
    expect(reader.socket.readyState).toBe(WebSocket.OPEN);
    await submit(writerDoc, [{ d: length }, 'done']);
    await waitFor('the reader to see the last op', () => readerDoc.data === 'done');
  });
});
