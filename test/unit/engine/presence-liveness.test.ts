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
