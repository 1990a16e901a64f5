/**
 * The contract's close-code table, row by row, against a fake socket: the test plays the server, closes the
 * connection with each code and watches what the client does next (reconnect and when, which token, or stop).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_ACTIONS, closeAction, formatRetryAfter } from '@concord/shared';
import { connect, type CollabClient, type ConnectionStatus } from '@concord/client';
import { waitFor } from '../../helpers/wait-for.js';
import { fakeNetwork, type FakeNetwork, type FakeWebSocket } from './fake-websocket.js';

const BACKOFF = { initialMs: 40, maxMs: 400, factor: 2 };

interface Harness {
  net: FakeNetwork;
  client: CollabClient;
  errors: Error[];
  statuses: ConnectionStatus[];
  tokenCalls: number;
}

const open: CollabClient[] = [];
afterEach(() => {
  for (const client of open.splice(0)) client.close();
});

function start(options: { token?: () => Promise<string>; heartbeatMs?: number } = {}): Harness {
  const net = fakeNetwork();
  const harness: Harness = { net, client: undefined as never, errors: [], statuses: [], tokenCalls: 0 };
  const token = options.token;
  harness.client = connect({
    url: 'ws://fake/ws',
    WebSocket: net.WebSocket,
    backoff: BACKOFF,
    heartbeatMs: options.heartbeatMs ?? 0,
    ...(token ? { token: () => (harness.tokenCalls++, token()) } : {}),
  });
  harness.client.on('error', (err) => harness.errors.push(err));
  harness.client.on('status', (status) => harness.statuses.push(status));
  open.push(harness.client);
  return harness;
}

async function online(h: Harness, count = h.net.sockets.length + 1): Promise<FakeWebSocket> {
  const socket = await waitFor(`socket #${count}`, () => h.net.sockets[count - 1]);
  socket.open();
  socket.handshake();
  await waitFor('online', () => h.client.status.state === 'online');
  return socket;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the close-code table', () => {
  it('covers every row of the contract', () => {
    expect(Object.keys(CLOSE_ACTIONS).map(Number).sort()).toEqual([1001, 1003, 1006, 1007, 1008, 1009, 1011, 1013, 4401, 4403, 4408, 4429]);
    expect(closeAction(4000)).toBe('reconnect');
  });

  for (const code of [1001, 1006, 1011, 1013]) {
    it(`${code}: reconnects after a jittered backoff and shows offline meanwhile`, async () => {
      const h = start();
      const first = await online(h);
      const closedAt = Date.now();
      first.serverClose(code, code === 1001 ? 'ERR_SHUTTING_DOWN' : '');
      await waitFor('offline', () => h.client.status.state === 'offline');
      await waitFor('second socket', () => h.net.sockets[1]);
      const waited = (h.net.createdAt[1] ?? 0) - closedAt;
      expect(waited).toBeGreaterThanOrEqual(BACKOFF.initialMs / 2 - 2);
      expect(waited).toBeLessThan(BACKOFF.initialMs + 200);
      await online(h, 2);
      expect(h.errors).toEqual([]);
    });
  }

  for (const [code, errorCode] of [[1003, 'ERR_BINARY_FRAME'], [1007, 'ERR_MESSAGE_BADLY_FORMED'], [1008, 'ERR_MESSAGE_BADLY_FORMED'], [1009, 'ERR_MESSAGE_TOO_BIG'], [4403, 'ERR_FORBIDDEN']] as const) {
    it(`${code}: stops, reports ${errorCode} and never reconnects`, async () => {
      const h = start();
      const first = await online(h);
      first.serverClose(code, code === 1009 || code === 1008 ? '' : errorCode);
      await waitFor('closed', () => h.client.status.state === 'closed');
      await sleep(BACKOFF.maxMs);
      expect(h.net.sockets).toHaveLength(1);
      expect(h.errors.map((err) => (err as { code?: string }).code)).toEqual([errorCode]);
    });
  }

  for (const code of [4401, 4408]) {
    it(`${code}: fetches a fresh token once, sends it first, and goes online`, async () => {
      let n = 0;
      const h = start({ token: async () => `token-${++n}` });
      const first = await online(h);
      expect(first.messages()[0]).toEqual({ a: 'auth', token: 'token-1' });
      first.serverClose(code, code === 4401 ? 'ERR_UNAUTHENTICATED' : 'ERR_AUTH_TIMEOUT');
      const second = await online(h, 2);
      expect(h.tokenCalls).toBe(2);
      expect(second.messages()[0]).toEqual({ a: 'auth', token: 'token-2' });
      expect(second.messages()[1]).toMatchObject({ a: 'hs' });
    });

    it(`${code}: a second refusal before getting online ends in unauthenticated`, async () => {
      const h = start({ token: async () => 'stale' });
      const first = await online(h);
      first.serverClose(code);
      const second = await waitFor('second socket', () => h.net.sockets[1]);
      second.open();
      second.serverClose(code);
      await waitFor('unauthenticated', () => h.client.status.state === 'unauthenticated');
      await sleep(BACKOFF.maxMs);
      expect(h.net.sockets).toHaveLength(2);
      expect(h.tokenCalls).toBe(2);
      expect((h.errors.at(-1) as { code?: string }).code).toBe(code === 4401 ? 'ERR_UNAUTHENTICATED' : 'ERR_AUTH_TIMEOUT');
    });
  }

  it('4401: a token source that fails on the fresh-token attempt ends in unauthenticated', async () => {
    let calls = 0;
    const h = start({ token: async () => {
      if (++calls > 1) throw new Error('token endpoint says no');
      return 'first';
    } });
    (await online(h)).serverClose(4401);
    await waitFor('unauthenticated', () => h.client.status.state === 'unauthenticated');
    expect(h.net.sockets).toHaveLength(1);
  });

  it('4401: the one fresh-token attempt is granted again after each time the client was back online', async () => {
    const h = start({ token: async () => 'ok' });
    (await online(h)).serverClose(4401);
    (await online(h, 2)).serverClose(4401);
    await online(h, 3);
    expect(h.client.status.state).toBe('online');
  });

  it('4429: waits at least the retry-after of the close reason', async () => {
    const h = start();
    const first = await online(h);
    const closedAt = Date.now();
    first.serverClose(4429, formatRetryAfter(300));
    await waitFor('second socket', () => h.net.sockets[1], 3000);
    const waited = (h.net.createdAt[1] ?? 0) - closedAt;
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(300 + BACKOFF.initialMs + 200);
  });
});

describe('connection behaviour around the table', () => {
  it('sends no auth message without a token: the handshake comes first', async () => {
    const h = start();
    const socket = await online(h);
    expect(socket.messages()[0]).toMatchObject({ a: 'hs' });
  });

  it('keeps retrying with growing delays while the server cannot be reached', async () => {
    const h = start();
    for (let i = 1; i <= 4; i++) (await waitFor(`socket ${i}`, () => h.net.sockets[i - 1], 3000)).fail();
    const gaps = h.net.createdAt.slice(1).map((t, i) => t - (h.net.createdAt[i] ?? 0));
    expect(gaps[2]).toBeGreaterThanOrEqual((BACKOFF.initialMs * 4) / 2 - 2);
    expect(h.client.status.state).toBe('connecting');
    expect(h.errors).toEqual([]);
  });

  it('a token source failing on an ordinary reconnect is retried, not final', async () => {
    let calls = 0;
    const h = start({ token: async () => {
      calls++;
      if (calls === 2) throw new Error('token endpoint unreachable');
      return `t${calls}`;
    } });
    (await online(h)).fail();
    const second = await online(h, 2);
    expect(second.messages()[0]).toEqual({ a: 'auth', token: 't3' });
    expect(h.errors.map((err) => err.message)).toEqual(['token endpoint unreachable']);
  });

  it('drops a connection whose server went silent (heartbeat) and reconnects', async () => {
    const h = start({ heartbeatMs: 40 });
    const first = await online(h);
    await waitFor('ping', () => first.messages().some((m) => m.a === 'pp'), 2000);
    await waitFor('second socket', () => h.net.sockets[1], 2000);
    expect(first.clientClose?.code).toBe(4000);
  });

  it('close() stops for good, cancelling a pending reconnect', async () => {
    const h = start();
    (await online(h)).fail();
    await waitFor('offline', () => h.client.status.state === 'offline');
    h.client.close();
    await sleep(BACKOFF.maxMs);
    expect(h.net.sockets).toHaveLength(1);
    expect(h.client.status.state).toBe('closed');
    expect(h.statuses.map((s) => s.state)).toEqual(['online', 'offline', 'closed']);
  });
});
