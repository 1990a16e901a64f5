/**
 * applyWithdrawalsOnArrival on a stand-in for ShareDB's presence bookkeeping: a null applies at once unless a newer
 * update from that sender is already known; everything else goes through ShareDB's own path untouched.
 * (The race it exists for is reproduced end to end in presence-channel.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { Presence } from 'sharedb/lib/client/index.js';
import { applyWithdrawalsOnArrival } from '@concord/client';

interface Update { id: string; pv: number; p: unknown }
interface Remote { value: unknown; presenceVersion: number | null; _pending: Update | null }

function standIn(remotes: Record<string, Remote>) {
  const passed: Update[] = [];
  const updated: Array<{ id: string; value: unknown; pv: number | null }> = [];
  const target = {
    localPresences: { mine: {} } as Record<string, unknown>,
    _remotePresenceInstances: remotes,
    _receiveUpdate(_error: unknown, message: Update): void {
      passed.push(message);
    },
    _updateRemotePresence(remote: Remote): void {
      const id = Object.keys(remotes).find((key) => remotes[key] === remote) ?? '?';
      updated.push({ id, value: remote.value, pv: remote.presenceVersion });
    },
  };
  applyWithdrawalsOnArrival(target as unknown as Presence<unknown>);
  const receive = (message: Update): void => target._receiveUpdate(null, message);
  return { target, receive, passed, updated };
}

describe('applyWithdrawalsOnArrival', () => {
  it('applies a null at once, dropping a held update that is not newer', () => {
    const ann: Remote = { value: { index: 3 }, presenceVersion: 2, _pending: { id: 'ann', pv: 3, p: { index: 4 } } };
    const { receive, passed, updated } = standIn({ ann });
    receive({ id: 'ann', pv: 3, p: null });
    expect(updated).toEqual([{ id: 'ann', value: null, pv: 3 }]);
    expect(ann._pending).toBeNull();
    expect(passed).toEqual([]);
  });

  it('ignores a null older than an update already held or shown', () => {
    const held: Remote = { value: { index: 3 }, presenceVersion: 2, _pending: { id: 'held', pv: 5, p: { index: 4 } } };
    const shown: Remote = { value: { index: 3 }, presenceVersion: 7, _pending: null };
    const { receive, passed, updated } = standIn({ held, shown });
    receive({ id: 'held', pv: 4, p: null });
    receive({ id: 'shown', pv: 6, p: null });
    expect(updated).toEqual([]);
    expect(passed).toEqual([]);
    expect(held._pending?.pv).toBe(5);
    expect(shown.value).toEqual({ index: 3 });
  });

  it('leaves values, own presence and unknown senders to ShareDB or to nothing', () => {
    const { receive, passed, updated } = standIn({});
    receive({ id: 'bob', pv: 1, p: { index: 1 } });
    receive({ id: 'mine', pv: 1, p: null });
    receive({ id: 'stranger', pv: 1, p: null });
    expect(passed.map((m) => m.id)).toEqual(['bob', 'mine']);
    expect(updated).toEqual([]);
  });
});
