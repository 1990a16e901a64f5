/**
 * What one connection may hold through presence is bounded like its document subscriptions (5000 at the defaults):
 * each presence subscription is a pub/sub stream (a Redis SUBSCRIBE with scale-out), and each presence value it
 * shows is kept by the server (up to 16 KB) and by every subscriber until it is withdrawn. Unbounded, one client
 * could grow the server's memory at its presence rate for as long as it stays connected. A withdrawal always passes
 * and frees its place.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '@concord/shared';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { openRaw, type Message, type RawSocket } from '../transport/raw-socket.js';
import { waitFor } from '../../helpers/wait-for.js';
import { call, connectStock, create } from '../../helpers/stock-client.js';

const LIMIT = DEFAULT_LIMITS.maxSubscriptions;
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function open(): Promise<{ server: TestServer; raw: RawSocket }> {
  const server = await startTestServer({ limits: { presencePerSec: 0 } });
  cleanup.push(() => server.close());
  const raw = await openRaw(server.wsUrl);
  cleanup.push(() => raw.socket.terminate());
  return { server, raw };
}

/** Sends the frames and resolves with the replies matching `reply`, once there are as many. */
async function exchange(raw: RawSocket, frames: object[], reply: (m: Message) => boolean): Promise<Message[]> {
  const before = raw.messages.filter(reply).length;
  for (const frame of frames) raw.send(JSON.stringify(frame));
  await waitFor(`${frames.length} replies`, () => raw.messages.filter(reply).length >= before + frames.length, 30_000);
  return raw.messages.filter(reply).slice(before);
}

const errorOf = (m: Message | undefined): unknown => (m?.['error'] as { code?: string } | undefined)?.code;

describe('presence a connection holds', () => {
  it('presence subscriptions count towards the subscription limit', async () => {
    const { raw } = await open();
    const frames = Array.from({ length: LIMIT }, (_, i) => ({ a: 'ps', ch: `notes.d${i}`, seq: i + 1 }));
    const replies = await exchange(raw, frames, (m) => m['a'] === 'ps');
    expect(replies.filter((m) => m['error'])).toEqual([]);
    const [over] = await exchange(raw, [{ a: 'ps', ch: `notes.d${LIMIT}`, seq: LIMIT + 1 }], (m) => m['a'] === 'ps');
    expect(errorOf(over)).toBe('ERR_BAD_REQUEST');
    // Giving one up makes room again.
    await exchange(raw, [{ a: 'pu', ch: 'notes.d0', seq: LIMIT + 2 }], (m) => m['a'] === 'pu');
    const [again] = await exchange(raw, [{ a: 'ps', ch: `notes.d${LIMIT}`, seq: LIMIT + 3 }], (m) => m['a'] === 'ps');
    expect(again?.['error']).toBeUndefined();
  }, 60_000);

  it('presence values shown count too; a withdrawal always passes and frees its place', async () => {
    const { raw } = await open();
    const show = (id: string, pv: number, p: unknown) => ({ a: 'p', ch: 'notes.room', id, pv, p });
    const frames = Array.from({ length: LIMIT }, (_, i) => show(`id${i}`, 0, { index: i }));
    const replies = await exchange(raw, frames, (m) => m['a'] === 'p');
    expect(replies.filter((m) => m['error']).slice(0, 1)).toEqual([]);
    const [over] = await exchange(raw, [show(`id${LIMIT}`, 0, { index: 1 })], (m) => m['a'] === 'p');
    expect(errorOf(over)).toBe('ERR_BAD_REQUEST');
    // Updating one already shown passes; withdrawing one passes and makes room for a new one.
    const [update, withdrawal] = await exchange(raw, [show('id1', 1, { index: 7 }), show('id0', 1, null)], (m) => m['a'] === 'p');
    expect([update?.['error'], withdrawal?.['error']]).toEqual([undefined, undefined]);
    const [fresh] = await exchange(raw, [show(`id${LIMIT}`, 1, { index: 1 })], (m) => m['a'] === 'p');
    expect(fresh?.['error']).toBeUndefined();
  }, 60_000);
});

describe('presence subscriptions and the presence rate', () => {
  it('each new presence subscription counts as a presence request: everyone on the channel sends theirs again', async () => {
    const server = await startTestServer(); // presence at the default rate
    cleanup.push(() => server.close());
    // Ann shows her cursor and answers every request for it, as every client does.
    const ann = await connectStock(server.wsUrl);
    cleanup.push(() => ann.close());
    await create(ann.connection.get('notes', 'room'), 'hello', 'text-unicode');
    const annPresence = ann.connection.getDocPresence('notes', 'room');
    await call((cb) => annPresence.subscribe(cb));
    await call((cb) => annPresence.create('ann-cursor').submit({ index: 1, length: 0 }, cb));
    let resent = 0;
    ann.connection.on('send', (message: { a?: string }) => void (message.a === 'p' && resent++));

    // Mallory subscribes and unsubscribes over and over: each subscription asks everyone on the channel again.
    const raw = await openRaw(server.wsUrl);
    cleanup.push(() => raw.socket.terminate());
    const rounds = 3 * DEFAULT_LIMITS.presencePerSec;
    const started = Date.now();
    for (let i = 0; i < rounds; i++) {
      for (const [a, seq] of [['ps', 2 * i + 1], ['pu', 2 * i + 2]] as const) {
        const replied = new Promise<void>((resolve) => {
          const onMessage = (data: Buffer): void => {
            const m = JSON.parse(data.toString()) as Message;
            if (m['a'] !== a || m['seq'] !== seq) return;
            raw.socket.off('message', onMessage);
            resolve();
          };
          raw.socket.on('message', onMessage);
        });
        raw.send(JSON.stringify({ a, ch: 'notes.room', seq }));
        await replied;
      }
    }
    const elapsed = Date.now() - started;
    await waitFor('Ann’s answers', () => resent >= rounds, 10_000).catch(() => undefined);
    console.log(`[presence-limits] ${rounds} presence subscriptions took ${elapsed} ms; Ann sent her presence ${resent} times`);
    // As many presence requests as presencePerSec allows: one second of burst, then the rate.
    expect(elapsed).toBeGreaterThan(1500);
  }, 60_000);
});


describe('a presence naming another document than its channel', () => {
  // Permission is decided on the channel's document; the document (c, d) is what the server reads for the presence
  // (its version, the ops to transform it by) and what a withdrawal is answered with to the channel's subscribers,
  // stamped with that document's version. A withdrawal needs no permission at all.
  for (const p of [{ index: 0 }, null]) {
    it(`is refused (${p === null ? 'a withdrawal' : 'a cursor'})`, async () => {
      const { raw } = await open();
      const [reply] = await exchange(raw, [{ a: 'p', ch: 'notes.public', id: 'x', pv: 0, p, c: 'notes', d: 'secret', v: 0 }],
        (m) => m['a'] === 'p');
      expect(errorOf(reply)).toBe('ERR_BAD_REQUEST');
    });
  }
});
