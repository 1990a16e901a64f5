/**
 * A withdrawal that crosses the receiver's own op, with ShareDB's stock client on both ends: Bob's op is being
 * committed when Ann withdraws, so the server stamps her null with the version before Bob's op, and Bob, acknowledged
 * meanwhile, receives it older than his document. The stock client then holds it and asks for presence again; the
 * server answers with the withdrawal at the current version, so Ann's cursor leaves Bob's screen. Without that
 * answer it would stay until Bob reloads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection, Doc } from 'sharedb/lib/client/index.js';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { call, connectStock, create, subscribe, submit, type StockClient } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';
import { cleanup, runCleanup } from './client-fixture.js';

afterEach(runCleanup);

interface Side {
  readonly client: StockClient;
  readonly doc: Doc;
  readonly presence: ReturnType<Connection['getDocPresence']>;
}

async function side(server: TestServer, id: string, createIt: boolean): Promise<Side> {
  const client = await connectStock(server.wsUrl);
  cleanup.push(() => client.close());
  const doc = client.connection.get('notes', id);
  if (createIt) await create(doc, [{ insert: 'hello\n' }], 'rich-text');
  await subscribe(doc);
  const presence = client.connection.getDocPresence('notes', id);
  await call((cb) => presence.subscribe(cb));
  return { client, doc, presence };
}

describe('a presence withdrawal older than the receiver’s document', () => {
  it('still removes the sender at a stock client, answered by the server when the client asks again', async () => {
    const server = await startTestServer();
    cleanup.push(() => server.close());
    const id = `withdrawal-${Date.now()}`;
    const ann = await side(server, id, true);
    const bob = await side(server, id, false);
    const gone: string[] = [];
    bob.presence.on('receive', (presenceId: string, value: unknown) => value === null && gone.push(presenceId));

    const annLocal = ann.presence.create('ann-cursor');
    await call((cb) => annLocal.submit({ index: 2, length: 0 }, cb));
    await waitFor('Ann at Bob', () => bob.presence.remotePresences['ann-cursor'] !== undefined);

    // Bob's op takes a while to commit; Ann withdraws meanwhile.
    const requests: unknown[] = [];
    bob.client.connection.on('send', (message: { a?: string }) => message.a === 'pr' && requests.push(message));
    server.collab.backend.use('commit', (_context, next) => setTimeout(next, 100));
    const acked = submit(bob.doc, [{ insert: 'X' }]);
    await call((cb) => annLocal.submit(null, cb));
    await acked;

    await waitFor('Ann withdrawn at Bob', () => bob.presence.remotePresences['ann-cursor'] === undefined, 5000);
    expect(gone).toEqual(['ann-cursor']);
    // The race happened as described: Bob's client found the withdrawal stale and asked again.
    expect(requests.length).toBeGreaterThan(0);
    expect(bob.doc.version).toBe(2);
  });

  it('also when the sender’s connection ends (the withdrawal ShareDB sends on its behalf)', async () => {
    const server = await startTestServer();
    cleanup.push(() => server.close());
    const id = `withdrawal-close-${Date.now()}`;
    const ann = await side(server, id, true);
    const bob = await side(server, id, false);
    const annLocal = ann.presence.create('ann-cursor');
    await call((cb) => annLocal.submit({ index: 1, length: 2 }, cb));
    await waitFor('Ann at Bob', () => bob.presence.remotePresences['ann-cursor'] !== undefined);

    server.collab.backend.use('commit', (_context, next) => setTimeout(next, 100));
    const acked = submit(bob.doc, [{ retain: 1 }, { insert: 'Y' }]);
    ann.client.socket.terminate();
    await acked;

    await waitFor('Ann withdrawn at Bob', () => bob.presence.remotePresences['ann-cursor'] === undefined, 5000);
    expect(bob.doc.data).toEqual({ ops: [{ insert: 'hYello\n' }] });
  });
});

describe('the presence of a sender that does not subscribe to presence', () => {
  // ShareDB withdraws a connection's presence when its presence subscription ends (which a closing connection
  // ends): a sender that shows itself without subscribing, or that unsubscribed and then moved, has none to end.
  for (const how of ['never subscribed', 'unsubscribed, then moved'] as const) {
    it(`is withdrawn when its connection ends (${how})`, async () => {
      const server = await startTestServer();
      cleanup.push(() => server.close());
      const id = `unsubscribed-${how.replace(/\W+/g, '-')}`;
      const bob = await side(server, id, true);
      const ann = await connectStock(server.wsUrl);
      cleanup.push(() => ann.close());
      await subscribe(ann.connection.get('notes', id));
      const annPresence = ann.connection.getDocPresence('notes', id);
      if (how !== 'never subscribed') await call((cb) => annPresence.subscribe(cb));
      const annLocal = annPresence.create('ann-cursor');
      await call((cb) => annLocal.submit({ index: 1, length: 0 }, cb));
      await waitFor('Ann at Bob', () => bob.presence.remotePresences['ann-cursor'] !== undefined);
      if (how !== 'never subscribed') {
        await call((cb) => annPresence.unsubscribe(cb));
        await call((cb) => annLocal.submit({ index: 2, length: 0 }, cb));
        await waitFor('Ann moved at Bob', () => (bob.presence.remotePresences['ann-cursor'] as { index?: number } | undefined)?.index === 2);
      }

      ann.socket.terminate();
      await waitFor('Ann withdrawn at Bob', () => bob.presence.remotePresences['ann-cursor'] === undefined, 5000);
    });
  }
});

describe('presence on its way when the sender’s connection ends', () => {
  it('is withdrawn after it is shown', async () => {
    const server = await startTestServer();
    cleanup.push(() => server.close());
    const id = `in-flight-${Date.now()}`;
    const bob = await side(server, id, true);
    const ann = await side(server, id, false);
    const shown: unknown[] = [];
    bob.presence.on('receive', (presenceId: string, value: unknown) => presenceId === 'ann-cursor' && value !== null && shown.push(value));
    // Admitting presence takes a while (an asynchronous authorizer, say); Ann's tab closes meanwhile.
    let arrived = false;
    server.collab.backend.use('receivePresence', (_context, next) => {
      arrived = true;
      setTimeout(next, 200);
    });
    ann.presence.create('ann-cursor').submit({ index: 1, length: 0 }, () => undefined);
    await waitFor('Ann’s presence at the server', () => arrived);
    ann.client.socket.terminate();

    await waitFor('Ann shown at Bob (published after her connection closed)', () => shown.length > 0, 5000);
    await waitFor('Ann withdrawn at Bob', () => bob.presence.remotePresences['ann-cursor'] === undefined, 5000);
  });
});
