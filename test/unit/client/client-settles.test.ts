/**
 * What a stopped client and bad arguments answer, against a fake socket: every request settles with a catalogue
 * code (ERR_CONNECTION_CLOSED, ERR_UNKNOWN_TYPE, ERR_UNAUTHENTICATED) instead of hanging or throwing a bare
 * TypeError.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, openDoc, type CollabClient } from '@concord/client';
import type { TypeName } from '@concord/shared';
import { waitFor } from '../../helpers/wait-for.js';
import { fakeNetwork, type FakeWebSocket } from './fake-websocket.js';

const open: CollabClient[] = [];
afterEach(() => {
  for (const client of open.splice(0)) client.close();
});

function start(token?: () => Promise<string>): { client: CollabClient; errors: Error[]; socket: () => FakeWebSocket | undefined } {
  const net = fakeNetwork();
  const client = connect({ url: 'ws://fake/ws', WebSocket: net.WebSocket, backoff: { initialMs: 20, maxMs: 40, factor: 2 }, heartbeatMs: 0, ...(token ? { token } : {}) });
  const errors: Error[] = [];
  client.on('error', (err) => errors.push(err));
  open.push(client);
  return { client, errors, socket: () => net.sockets[0] };
}

async function online(h: ReturnType<typeof start>): Promise<FakeWebSocket> {
  const socket = await waitFor('socket', () => h.socket());
  socket.open();
  socket.handshake();
  await waitFor('online', () => h.client.status.state === 'online');
  return socket;
}

const codeOf = (err: unknown): string | undefined => (err as { code?: string } | undefined)?.code;

/** Resolves with what `promise` rejected with; fails the test if it does not settle within the deadline. */
function rejection(promise: Promise<unknown>, ms = 2_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
    promise.then(() => reject(new Error('resolved')), (err: unknown) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}

describe('a stopped client', () => {
  it('openDoc after close() rejects with ERR_CONNECTION_CLOSED', async () => {
    const h = start();
    await online(h);
    h.client.close();
    const err = await rejection(openDoc(h.client.connection, 'notes', 'n1', { type: 'text-unicode', data: '' }));
    expect(codeOf(err)).toBe('ERR_CONNECTION_CLOSED');
  });

  it('an openDoc waiting for the server when the client closes rejects with ERR_CONNECTION_CLOSED', async () => {
    const h = start();
    const socket = await online(h);
    const opening = openDoc(h.client.connection, 'notes', 'n2', { type: 'text-unicode', data: '' });
    await waitFor('fetch sent', () => socket.messages().some((m) => m.a === 'f'));
    h.client.close();
    expect(codeOf(await rejection(opening))).toBe('ERR_CONNECTION_CLOSED');
  });

  it('callbacks of edits not acknowledged at close() are called with ERR_CONNECTION_CLOSED; the edits stay counted', async () => {
    const h = start();
    const socket = await online(h);
    const doc = h.client.connection.get('notes', 'n3');
    doc.ingestSnapshot({ v: 1, type: 'text-unicode', data: '' } as never, () => undefined);
    const results: unknown[] = [];
    doc.submitOp(['a'], {}, (err) => results.push(codeOf(err) ?? 'ok'));
    await waitFor('op sent', () => socket.messages().some((m) => m.a === 'op'));
    doc.submitOp([1, 'b'], {}, (err) => results.push(codeOf(err) ?? 'ok'));
    h.client.close();
    await waitFor('both called back', () => results.length === 2);
    expect(results).toEqual(['ERR_CONNECTION_CLOSED', 'ERR_CONNECTION_CLOSED']);
    expect(h.client.status).toEqual({ state: 'closed', pending: 2 });
  });
});

describe('a stopped client, requests made after it stopped', () => {
  it('a doc’s fetch, subscribe and edit, a query and a snapshot fetch are called back with ERR_CONNECTION_CLOSED', async () => {
    const h = start();
    await online(h);
    const { connection } = h.client;
    const doc = connection.get('notes', 'n6');
    doc.ingestSnapshot({ v: 1, type: 'text-unicode', data: '' } as never, () => undefined);
    h.client.close();
    const later = connection.get('notes', 'n7'); // a doc first asked for after the stop
    const results: Record<string, unknown> = {};
    const record = (name: string) => (err?: unknown): void => {
      results[name] = codeOf(err) ?? 'ok';
    };
    doc.fetch(record('fetch'));
    doc.subscribe(record('subscribe'));
    doc.submitOp(['a'], {}, record('edit'));
    later.fetch(record('later fetch'));
    connection.createFetchQuery('notes', {}, {}, record('fetch query'));
    connection.fetchSnapshot('notes', 'n6', 1, record('fetchSnapshot'));
    await waitFor('all called back', () => Object.keys(results).length === 6);
    expect(results).toEqual({
      fetch: 'ERR_CONNECTION_CLOSED', subscribe: 'ERR_CONNECTION_CLOSED', edit: 'ERR_CONNECTION_CLOSED',
      'later fetch': 'ERR_CONNECTION_CLOSED', 'fetch query': 'ERR_CONNECTION_CLOSED', fetchSnapshot: 'ERR_CONNECTION_CLOSED',
    });
    expect(doc.data).toBe('a'); // the edit stays in the doc, unsent
    expect(h.client.status).toEqual({ state: 'closed', pending: 1 });
  });

  it('an unsubscribe made offline just before close() is answered once, without an uncaught TypeError', async () => {
    const h = start();
    const socket = await online(h);
    const doc = h.client.connection.get('notes', 'n8');
    doc.ingestSnapshot({ v: 1, type: 'text-unicode', data: '' } as never, () => undefined);
    socket.fail(); // offline: ShareDB answers an unsubscribe itself, on the next tick
    await waitFor('offline', () => h.client.status.state !== 'online');
    const thrown: unknown[] = [];
    const onUncaught = (err: unknown): void => void thrown.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      let answer: unknown = 'none';
      doc.unsubscribe((err) => (answer = codeOf(err) ?? 'ok'));
      h.client.close();
      await waitFor('unsubscribe answered', () => answer !== 'none');
      expect(answer).toBe('ok');
      await new Promise((resolve) => setTimeout(resolve, 20)); // the tick ShareDB answers on has run
      expect(thrown).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});

describe('a stopped client, queries and snapshot fetches', () => {
  it('calls back queries and fetchSnapshot waiting at close() with ERR_CONNECTION_CLOSED', async () => {
    const h = start();
    const socket = await online(h);
    const { connection } = h.client;
    const results: Record<string, unknown> = {};
    connection.createFetchQuery('notes', {}, {}, (err) => (results['fetch query'] = codeOf(err) ?? 'ok'));
    connection.createSubscribeQuery('notes', { x: 1 }, {}, (err) => (results['subscribe query'] = codeOf(err) ?? 'ok'));
    connection.fetchSnapshot('notes', 'n5', 3, (err) => (results['fetchSnapshot'] = codeOf(err) ?? 'ok'));
    connection.fetchSnapshotByTimestamp('notes', 'n5', Date.now(), (err) => (results['byTimestamp'] = codeOf(err) ?? 'ok'));
    await waitFor('all four sent', () => ['qf', 'qs', 'nf', 'nt'].every((a) => socket.messages().some((m) => m.a === a)));
    h.client.close();
    await waitFor('all four called back', () => Object.keys(results).length === 4);
    expect(results).toEqual({
      'fetch query': 'ERR_CONNECTION_CLOSED', 'subscribe query': 'ERR_CONNECTION_CLOSED',
      fetchSnapshot: 'ERR_CONNECTION_CLOSED', byTimestamp: 'ERR_CONNECTION_CLOSED',
    });
  });
});

describe('openDoc with a type outside the four', () => {
  it('rejects with ERR_UNKNOWN_TYPE instead of throwing a TypeError', async () => {
    const h = start();
    await online(h);
    const err = await rejection(openDoc(h.client.connection, 'notes', 'n4', { type: 'markdown' as TypeName, data: '' }));
    expect(codeOf(err)).toBe('ERR_UNKNOWN_TYPE');
  });
});

describe('token source failures', () => {
  it('carry ERR_UNAUTHENTICATED, whether the source throws or gives no token', async () => {
    let calls = 0;
    const h = start(async () => {
      calls++;
      if (calls === 1) throw new Error('token endpoint unreachable');
      return '';
    });
    await waitFor('two failures reported', () => h.errors.length >= 2, 2_000);
    expect(h.errors.slice(0, 2).map(codeOf)).toEqual(['ERR_UNAUTHENTICATED', 'ERR_UNAUTHENTICATED']);
    expect(h.errors[0]?.message).toBe('token endpoint unreachable');
  });
});
