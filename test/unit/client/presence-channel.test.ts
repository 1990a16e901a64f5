/**
 * PresenceChannel against an in-process ShareDB backend (no network): a fast pointer is coalesced to at most 20
 * updates a second with the last position always arriving, the label rides along, and destroy withdraws, even
 * when the withdrawal reaches the other side after an op that side made at the same time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import ShareDB from 'sharedb';
import type { Connection } from 'sharedb/lib/client/index.js';
import { registerTypes, type BoardPresence, type TypeRegistry } from '@concord/shared';
import { openDoc, PresenceChannel } from '@concord/client';
import { waitFor } from '../../helpers/wait-for.js';

registerTypes(ShareDB.types as unknown as TypeRegistry);

let backend: ShareDB | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (backend ? backend.close(() => resolve()) : resolve()));
});

type Channels = [PresenceChannel<BoardPresence>, PresenceChannel<BoardPresence>, Connection];

async function channels(): Promise<Channels> {
  backend = new ShareDB({ presence: true, doNotForwardSendPresenceErrorsToClient: true });
  const [a, b] = [backend.connect(), backend.connect()];
  await openDoc(a, 'boards', 'b1', { type: 'json1', data: { shapes: {} } });
  await openDoc(b, 'boards', 'b1', { type: 'json1', data: { shapes: {} } });
  return [new PresenceChannel<BoardPresence>(a, 'boards', 'b1', { label: 'Ann' }), new PresenceChannel<BoardPresence>(b, 'boards', 'b1'), b];
}

/** Presence messages of `channel` that reach `connection`. */
function presenceTraffic(connection: Connection, channel: string): unknown[] {
  const seen: unknown[] = [];
  connection.on('receive', (request: { data: { a?: string; ch?: string } }) => {
    if (request.data?.a === 'p' && request.data.ch === channel) seen.push(request.data);
  });
  return seen;
}

/** A round trip of `connection` to the server: whatever the server sent it before the reply has arrived. */
function roundTrip(connection: Connection): Promise<void> {
  return new Promise((resolve, reject) => connection.fetchSnapshot('boards', 'b1', null, (err) => (err ? reject(err) : resolve())));
}

describe('PresenceChannel', () => {
  it('many channels on one connection add one listener per ShareDB emitter, not one each (no MaxListeners warning)', async () => {
    backend = new ShareDB({ presence: true, doNotForwardSendPresenceErrorsToClient: true });
    const a = backend.connect();
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const channels = [
        ...Array.from({ length: 12 }, () => new PresenceChannel<BoardPresence>(a, 'boards', 'same')),
        ...Array.from({ length: 12 }, (_, i) => new PresenceChannel<BoardPresence>(a, 'boards', `doc-${i}`)),
      ];
      const shared = channels[0]!.presence as unknown as { listenerCount(event: string): number };
      const connection = a as unknown as { listenerCount(event: string): number };
      expect(shared.listenerCount('receive')).toBe(1);
      expect(shared.listenerCount('error')).toBe(1);
      expect(connection.listenerCount('state')).toBeLessThanOrEqual(2);
      await new Promise((resolve) => setImmediate(resolve)); // Node emits the warning on a later tick
      expect(warnings).toEqual([]);
      for (const channel of channels) channel.destroy();
      expect(shared.listenerCount('receive')).toBe(0);
      expect(connection.listenerCount('state')).toBeLessThanOrEqual(1);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('the last channel destroyed on a document unsubscribes: no more presence reaches that client', async () => {
    backend = new ShareDB({ presence: true, doNotForwardSendPresenceErrorsToClient: true });
    const [a, b, c] = [backend.connect(), backend.connect(), backend.connect()];
    for (const connection of [a, b, c]) await openDoc(connection, 'boards', 'b1', { type: 'json1', data: { shapes: {} } });
    const first = new PresenceChannel<BoardPresence>(a, 'boards', 'b1');
    const second = new PresenceChannel<BoardPresence>(a, 'boards', 'b1');
    const bob = new PresenceChannel<BoardPresence>(b, 'boards', 'b1');
    const carol = new PresenceChannel<BoardPresence>(c, 'boards', 'b1');
    const traffic = presenceTraffic(a, first.presence.channel);
    bob.update({ pointer: { x: 1, y: 1 }, selection: [] });
    await waitFor('Bob seen by a', () => second.others.size === 1);

    first.destroy(); // another channel of this client still shows the document's presence
    bob.update({ pointer: { x: 2, y: 2 }, selection: [] });
    await waitFor('Bob moved, seen by the remaining channel', () => second.others.get(bob.localId)?.pointer?.x === 2);

    second.destroy();
    await waitFor('unsubscribed', () => !second.presence.subscribed && !second.presence.wantSubscribe);
    const before = traffic.length;
    bob.update({ pointer: { x: 3, y: 3 }, selection: [] });
    await waitFor('Bob moved, seen by Carol', () => carol.others.get(bob.localId)?.pointer?.x === 3);
    await roundTrip(a);
    expect(traffic.length).toBe(before);
    bob.destroy();
    carol.destroy();
  });

  it('coalesces a fast pointer to at most 20 updates a second, ending on its last position', async () => {
    const [ann, bob] = await channels();
    const received: number[] = [];
    bob.on('receive', (_id, value) => {
      if (value?.pointer) received.push(value.pointer.x);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    for (let x = 0; x <= 200; x++) {
      ann.update({ pointer: { x, y: 0 }, selection: [] });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const elapsed = Date.now() - started;
    await waitFor('last position', () => received.at(-1) === 200);
    expect(received.length).toBeLessThanOrEqual(Math.ceil((elapsed / 1000) * 20) + 1);
    expect(received.length).toBeGreaterThan(3);
    expect([...bob.others.values()][0]).toMatchObject({ pointer: { x: 200, y: 0 }, label: 'Ann' });
    ann.destroy();
    await waitFor('withdrawn', () => bob.others.size === 0);
    bob.destroy();
  });

  it('a withdrawal that arrives older than the receiver\'s document still removes the sender', async () => {
    // Bob edits while Ann withdraws. The server stamps Ann's null with the version before Bob's op (still being
    // committed), so Bob, acked meanwhile, gets it stale. ShareDB's client would then ask Ann to send her presence
    // again, which she does not, having none, and would show her forever.
    const [ann, bob, bobConnection] = await channels();
    const gone: string[] = [];
    bob.on('receive', (id, value) => value === null && gone.push(id));
    ann.update({ pointer: { x: 1, y: 1 }, selection: [] });
    await waitFor('Ann seen', () => bob.others.size === 1);
    backend?.use('commit', (_context, next) => setTimeout(next, 50));
    const bobDoc = bobConnection.get('boards', 'b1');
    const acked = new Promise<void>((resolve, reject) => {
      bobDoc.submitOp(['shapes', 's1', { i: { x: 1 } }], {}, (err) => (err ? reject(err) : resolve()));
    });
    ann.clear();
    await acked;
    await waitFor('Ann withdrawn at Bob', () => bob.others.size === 0);
    expect(gone).toEqual([ann.localId]);
    expect(bobDoc.version).toBe(2);
    ann.destroy();
    bob.destroy();
  });
});
