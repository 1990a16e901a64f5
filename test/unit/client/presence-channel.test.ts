/**
 * PresenceChannel against an in-process ShareDB backend (no network): a fast pointer is coalesced to at most 20
 * updates a second with the last position always arriving, the label rides along, and destroy withdraws.
 */
import { afterEach, describe, expect, it } from 'vitest';
import ShareDB from 'sharedb';
import { registerTypes, type BoardPresence, type TypeRegistry } from '@concord/shared';
import { openDoc, PresenceChannel } from '@concord/client';
import { waitFor } from '../../helpers/wait-for.js';

registerTypes(ShareDB.types as unknown as TypeRegistry);

let backend: ShareDB | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (backend ? backend.close(() => resolve()) : resolve()));
});

async function channels(): Promise<[PresenceChannel<BoardPresence>, PresenceChannel<BoardPresence>]> {
  backend = new ShareDB({ presence: true, doNotForwardSendPresenceErrorsToClient: true });
  const [a, b] = [backend.connect(), backend.connect()];
  await openDoc(a, 'boards', 'b1', { type: 'json1', data: { shapes: {} } });
  await openDoc(b, 'boards', 'b1', { type: 'json1', data: { shapes: {} } });
  return [new PresenceChannel<BoardPresence>(a, 'boards', 'b1', { label: 'Ann' }), new PresenceChannel<BoardPresence>(b, 'boards', 'b1')];
}

describe('PresenceChannel', () => {
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
});
