/**
 * PresenceLiveness's memory of the other instances' presence, on a stand-in for ShareDB's pub/sub: it hears a
 * channel only while someone here subscribes to it, so a presence withdrawn after the last subscriber here left is
 * never heard withdrawn. What it remembers of channels nobody here subscribes to any more is forgotten, or it would
 * grow with every document ever visited for as long as the other instance lives.
 */
import { describe, expect, it } from 'vitest';
import type ShareDB from 'sharedb';
import { PresenceLiveness } from '../../../server/dist/engine/presence-liveness.js';

function setup() {
  const streams: Record<string, unknown> = {};
  const pubsub = {
    streams,
    _emit: (_channel: string, _data: unknown) => undefined,
    publish: () => undefined,
    subscribe: () => undefined,
  };
  const liveness = new PresenceLiveness({ pubsub } as unknown as ShareDB);
  const presence = (ch: string, id: string, p: unknown) =>
    pubsub._emit(`$presence.${ch}`, { a: 'p', ch, id, p, pv: 0, c: 'notes', d: ch.slice(6), v: 1, inst: 'other-instance' });
  return { liveness, streams, presence };
}

describe('PresenceLiveness', () => {
  it('remembers the other instances’ live presence, and forgets it when withdrawn', () => {
    const t = setup();
    t.streams['$presence.notes.a'] = {};
    t.presence('notes.a', 'ann', { index: 1 });
    t.presence('notes.a', 'bob', { index: 2 });
    expect(t.liveness.size).toBe(2);
    t.presence('notes.a', 'ann', null);
    expect(t.liveness.size).toBe(1);
  });

  it('forgets the presence of channels nobody here subscribes to any more', () => {
    const t = setup();
    t.streams['$presence.notes.live'] = {};
    t.presence('notes.live', 'stays', { index: 0 });
    // A user here visits 5000 documents one after the other, where someone on the other instance shows a cursor;
    // that cursor's withdrawal comes after the user here left, so it is never heard.
    for (let i = 0; i < 5000; i++) {
      const ch = `notes.d${i}`;
      t.streams[`$presence.${ch}`] = {};
      t.presence(ch, `cursor-${i}`, { index: i });
      delete t.streams[`$presence.${ch}`];
    }
    expect(t.liveness.size).toBeLessThanOrEqual(1000);
    // What is still subscribed here stays.
    t.presence('notes.live', 'stays', null);
    t.presence('notes.live', 'stays', { index: 3 });
    expect(t.liveness.size).toBeGreaterThanOrEqual(1);
  });
});

describe('PresenceLiveness when an instance goes silent', () => {
  it('clears a presence whose older withdrawal arrived after it (a reconnect that beat the old socket’s close)', async () => {
    const emitted: Array<{ channel: string; data: { id?: string; p?: unknown } }> = [];
    let heartbeat: ((data: unknown) => void) | undefined;
    const streams: Record<string, unknown> = { '$presence.notes.a': {} };
    const pubsub = {
      streams,
      _emit: (channel: string, data: unknown) => void emitted.push({ channel, data: data as { id?: string; p?: unknown } }),
      // Every heartbeat (ours) comes straight back: this instance's pub/sub is fine.
      publish: (_channels: string[], data: unknown) => heartbeat?.(data),
      subscribe: (_channel: string, cb: (err: null, stream: unknown) => void) => cb(null, {
        on: (_event: string, listener: (data: unknown) => void) => void (heartbeat = listener),
        destroy: () => undefined,
      }),
    };
    const liveness = new PresenceLiveness({ pubsub } as unknown as ShareDB, 20, 100);
    liveness.start();
    const presence = (p: unknown, pv: number) => pubsub._emit('$presence.notes.a',
      { a: 'p', ch: 'notes.a', id: 'ann', src: 'ann-conn', p, pv, c: 'notes', d: 'a', v: 1, inst: 'other-instance' });
    try {
      // Ann's client reconnected to the other instance and showed herself again (pv 5) before that instance noticed
      // her old socket was gone and withdrew what it had shown (pv 4, older: ShareDB's clients ignore it).
      presence({ index: 1 }, 5);
      presence(null, 4);
      emitted.length = 0;
      // The other instance dies: no heartbeat from it ever (it never sent one here), so it is silent from now on.
      const cleared = await waitForClear(emitted);
      expect(cleared).toMatchObject({ channel: '$presence.notes.a', data: { id: 'ann', p: null } });
    } finally {
      liveness.stop();
    }
  });
});

async function waitForClear(emitted: Array<{ channel: string; data: { id?: string; p?: unknown } }>): Promise<unknown> {
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    const found = emitted.find((e) => e.data.id === 'ann' && e.data.p === null);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return undefined;
}
