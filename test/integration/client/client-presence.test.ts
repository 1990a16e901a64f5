/**
 * Presence between two Node clients through a real server with JWT authentication: what one client publishes
 * reaches the other stamped with the sender's identity as the server knows it (not as the client claims), and when
 * the sender's network dies silently (no close, no FIN) its presence is cleared everywhere within 5 s.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { TextPresence } from '@concord/shared';
import { connect, openDoc, PresenceChannel, WhoIsHere, type CollabClient } from '@concord/client';
import { createJwtAuthenticator } from '@concord/server';
import { startTestServer } from '../../helpers/test-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { TcpProxy } from './tcp-proxy.js';
import { signTestToken, TEST_SECRET } from './jwt.js';
import { cleanup, runCleanup } from './client-fixture.js';

afterEach(runCleanup);

function client(url: string, sub: string, name: string): CollabClient {
  const c = connect({ url, WebSocket, token: async () => signTestToken({ sub, name }), heartbeatMs: 0 });
  c.on('error', () => undefined);
  cleanup.push(() => c.close());
  return c;
}

/** A server with JWT auth; Ann connects through a proxy the test can cut, Bob directly; both open one new text. */
async function annBehindProxyAndBob(prefix: string) {
  const server = await startTestServer({ auth: createJwtAuthenticator({ secret: TEST_SECRET }) });
  cleanup.push(() => server.close());
  const proxy = await TcpProxy.start(server.httpUrl);
  cleanup.push(() => proxy.close());
  const ann = client(proxy.rewrite(server.wsUrl), 'u-ann', 'Ann');
  const bob = client(server.wsUrl, 'u-bob', 'Bob');
  const id = `${prefix}-${Date.now()}`;
  await Promise.all([ann, bob].map((c) => openDoc(c.connection, 'notes', id, { type: 'text-unicode', data: 'hello' })));
  return { server, proxy, ann, bob, id };
}

describe('presence through the server', () => {
  it('arrives stamped with the server’s user and is cleared within 5 s of a silent network death', async () => {
    const { proxy, ann, bob, id } = await annBehindProxyAndBob('presence');

    const annChannel = new PresenceChannel<TextPresence>(ann.connection, 'notes', id, { label: 'not Ann' });
    const bobChannel = new PresenceChannel<TextPresence>(bob.connection, 'notes', id);
    const here = new WhoIsHere(bobChannel);
    cleanup.push(() => [annChannel, bobChannel, here].forEach((x) => x.destroy()));
    // A client cannot speak as someone else: its claimed user is overwritten by the server.
    annChannel.update({ index: 2, length: 1, user: { sub: 'u-bob', name: 'Bob' } });

    const seen = await waitFor('Ann at Bob', () => [...bobChannel.others.values()][0]);
    expect(seen).toMatchObject({ index: 2, length: 1, user: { sub: 'u-ann', name: 'Ann' } });
    expect(here.participants.map((p) => p.name)).toEqual(['Ann']);

    proxy.blackhole();
    const cutAt = Date.now();
    await waitFor('Ann gone at Bob', () => bobChannel.others.size === 0, 6000);
    expect(Date.now() - cutAt).toBeLessThan(5000);
    expect(here.participants).toEqual([]);
  });

  it('survives reconnects: the returning client is seen again, and a client offline shows no ghosts', async () => {
    const { proxy, ann, bob, id } = await annBehindProxyAndBob('presence-reconnect');
    const annChannel = new PresenceChannel<TextPresence>(ann.connection, 'notes', id);
    const bobChannel = new PresenceChannel<TextPresence>(bob.connection, 'notes', id);
    cleanup.push(() => [annChannel, bobChannel].forEach((x) => x.destroy()));
    bobChannel.update({ index: 1, length: 0 });
    annChannel.update({ index: 4, length: 0 });
    await waitFor('each sees the other', () => bobChannel.others.size === 1 && annChannel.others.size === 1);

    proxy.cut();
    // Ann, offline, cannot know who is there: Bob is dropped rather than left as a ghost.
    await waitFor('Ann sees nobody while offline', () => annChannel.others.size === 0);
    await waitFor('Bob sees Ann gone', () => bobChannel.others.size === 0);
    proxy.restore();
    // Back online: Ann re-sends her presence, and the server asks Bob to re-send his.
    const annAtBob = await waitFor('Ann back at Bob', () => [...bobChannel.others.values()][0], 20_000);
    expect(annAtBob).toMatchObject({ index: 4, user: { sub: 'u-ann' } });
    const bobAtAnn = await waitFor('Bob back at Ann', () => [...annChannel.others.values()][0], 20_000);
    expect(bobAtAnn).toMatchObject({ index: 1, user: { sub: 'u-bob', name: 'Bob' } });
  });

  it('a client joining later sees who is already there', async () => {
    const server = await startTestServer({ auth: createJwtAuthenticator({ secret: TEST_SECRET }) });
    cleanup.push(() => server.close());
    const ann = client(server.wsUrl, 'u-ann', 'Ann');
    const id = `presence-late-${Date.now()}`;
    await openDoc(ann.connection, 'notes', id, { type: 'text-unicode', data: 'hello' });
    const annChannel = new PresenceChannel<TextPresence>(ann.connection, 'notes', id);
    annChannel.update({ index: 3, length: 2 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const bob = client(server.wsUrl, 'u-bob', 'Bob');
    await openDoc(bob.connection, 'notes', id, { type: 'text-unicode', data: 'hello' });
    const bobChannel = new PresenceChannel<TextPresence>(bob.connection, 'notes', id);
    const here = new WhoIsHere(bobChannel);
    cleanup.push(() => [annChannel, bobChannel, here].forEach((x) => x.destroy()));
    await waitFor('Ann listed at Bob', () => here.participants.length === 1);
    expect(here.participants[0]).toMatchObject({ sub: 'u-ann', name: 'Ann' });
  });
});

describe('a presence payload over the message limit', () => {
  it('is refused locally with ERR_MESSAGE_TOO_BIG; the connection stays open and smaller presence still flows', async () => {
    // The server closes a connection that sends a message over MAX_MESSAGE_BYTES with 1009, after which the client
    // stops for good: one oversized selection ended the session.
    const server = await startTestServer({ limits: { maxMessageBytes: 4096 } });
    cleanup.push(() => server.close());
    const [ann, bob] = [0, 1].map(() => {
      const c = connect({ url: server.wsUrl, WebSocket, maxMessageBytes: 4096, heartbeatMs: 0 });
      cleanup.push(() => c.close());
      return c;
    }) as [CollabClient, CollabClient];
    const clientErrors: unknown[] = [];
    ann.on('error', (err) => clientErrors.push(err));
    const id = `big-presence-${Date.now()}`;
    await Promise.all([ann, bob].map((c) => openDoc(c.connection, 'boards', id, { type: 'json1', data: {} })));
    const annChannel = new PresenceChannel<{ selection: string[] }>(ann.connection, 'boards', id);
    const bobChannel = new PresenceChannel<{ selection: string[] }>(bob.connection, 'boards', id);
    const refused: Array<{ code?: string }> = [];
    annChannel.on('error', (err) => refused.push(err as { code?: string }));

    annChannel.update({ selection: Array.from({ length: 1_000 }, (_, i) => `shape-${i}`) });
    await waitFor('refused', () => refused.length === 1);
    expect(refused[0]?.code).toBe('ERR_MESSAGE_TOO_BIG');

    // ShareDB's own presence, used directly, gets the refusal in its callback.
    const raw = ann.connection.getDocPresence('boards', id).create();
    const rawError = await new Promise<unknown>((resolve) => raw.submit({ blob: 'x'.repeat(5_000) }, resolve));
    expect((rawError as { code?: string }).code).toBe('ERR_MESSAGE_TOO_BIG');

    annChannel.flush();
    annChannel.update({ selection: ['shape-1'] });
    await waitFor('the small one arrives', () => bobChannel.others.get(annChannel.localId)?.selection?.[0] === 'shape-1');
    expect(ann.status.state).toBe('online');
    // The raw presence keeps its value, refused again whenever someone asks for everyone's presence: never a close.
    expect(clientErrors.filter((err) => (err as { code?: string }).code !== 'ERR_MESSAGE_TOO_BIG')).toEqual([]);
  });
});
