/**
 * WithdrawalEcho's memory on stand-ins for ShareDB's pub/sub, database and agent: what it remembers, for how long,
 * to whom it answers, and at which version. (The race it exists for runs end to end in
 * test/integration/client/presence-withdrawal.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type ShareDB from 'sharedb';
import { WithdrawalEcho } from '../../../server/dist/engine/withdrawal-echo.js';
import type { EngineAgent } from '../../../server/dist/engine/middleware.js';

function setup(options: { ttlMs?: number; maxEntries?: number } = {}) {
  let clock = 1000;
  let version = 7;
  const emitted: unknown[] = [];
  const pubsub = { _emit: (_channel: string, data: unknown) => void emitted.push(data) };
  const db = { getSnapshot: (_c: string, _d: string, _f: unknown, _o: unknown, cb: (err: unknown, s: { v: number }) => void) => cb(null, { v: version }) };
  const echo = new WithdrawalEcho({ pubsub, db } as unknown as ShareDB, { ...options, now: () => clock });
  const sent: Array<Record<string, unknown>> = [];
  const agent = {
    closed: false,
    subscribedPresences: { 'notes.a': {} } as Record<string, unknown>,
    _handlePresenceData: (m: Record<string, unknown>) => void sent.push(m),
  };
  const presence = (id: string, p: unknown, pv: number, ch = 'notes.a') =>
    pubsub._emit(`$presence.${ch}`, { a: 'p', ch, id, p, pv, c: ch.split('.')[0], d: ch.split('.')[1], v: 3, t: 'rich-text' });
  return {
    echo, agent, sent, emitted, presence,
    answer: (ch = 'notes.a') => echo.answer(agent as unknown as EngineAgent, ch),
    tick: (ms: number) => void (clock += ms),
    setVersion: (v: number) => void (version = v),
  };
}

describe('WithdrawalEcho', () => {
  it('answers a presence request with the channel’s withdrawals at the current version, passing every message on', () => {
    const t = setup();
    t.presence('ann', { index: 1 }, 0);
    t.presence('ann', null, 1);
    t.presence('bob', null, 4, 'notes.b');
    expect(t.emitted).toHaveLength(3);
    t.setVersion(9);
    t.answer();
    expect(t.sent).toEqual([{ a: 'p', ch: 'notes.a', id: 'ann', p: null, pv: 1, c: 'notes', d: 'a', v: 9, t: 'rich-text' }]);
  });

  it('forgets a withdrawal when its sender is back, and ignores an older one', () => {
    const t = setup();
    t.presence('ann', null, 2);
    t.presence('ann', null, 1);
    t.answer();
    expect(t.sent.map((m) => m.pv)).toEqual([2]);
    t.presence('ann', { index: 4 }, 3);
    t.sent.length = 0;
    t.answer();
    expect(t.sent).toEqual([]);
    expect(t.echo.size).toBe(0);
  });

  it('forgets after ttlMs and beyond maxEntries', () => {
    const t = setup({ ttlMs: 1000, maxEntries: 2 });
    t.presence('a1', null, 1);
    t.tick(600);
    t.presence('a2', null, 1);
    t.presence('a3', null, 1);
    expect(t.echo.size).toBe(2);
    t.answer();
    expect(t.sent.map((m) => m.id)).toEqual(['a2', 'a3']);
    t.tick(1001);
    t.sent.length = 0;
    t.answer();
    expect(t.sent).toEqual([]);
    expect(t.echo.size).toBe(0);
  });

  it('answers only a client subscribed to the channel, and not once it has closed', () => {
    const t = setup();
    t.presence('ann', null, 1);
    t.agent.subscribedPresences = {};
    t.answer();
    t.agent.subscribedPresences = { 'notes.a': {} };
    t.agent.closed = true;
    t.answer();
    expect(t.sent).toEqual([]);
  });
});
