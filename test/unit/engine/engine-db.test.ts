import { describe, expect, it } from 'vitest';
import type { Storage } from '../../../server/dist/storage/storage.js';
import { engineDb } from '../../../server/dist/engine/engine-db.js';

type Done = (err: unknown, ops?: unknown) => void;

/** A stand-in for a storage's DB: `from` below 10 is pruned ("Missing ops", as MemoryDB and SQLite say it). */
function fakeDb() {
  const calls: string[] = [];
  const db = {
    label: 'fake',
    getOps(_c: string, _id: string, from: number | null, to: number | null, _o: unknown, cb: Done) {
      calls.push('getOps');
      if ((from ?? 0) < 10) return cb(new Error('Missing ops'));
      cb(null, Array.from({ length: (to ?? 20) - (from ?? 0) }, (_, i) => ({ v: (from ?? 0) + i })));
    },
    getOpsToSnapshot(c: string, id: string, from: number, snapshot: { v: number }, o: unknown, cb: Done) {
      calls.push('getOpsToSnapshot');
      this.getOps(c, id, from, snapshot.v, o, cb); // as ShareDB's base DB does, on the storage's own object
    },
    commit(this: { label: string }, cb: (label: string) => void) {
      cb(this.label);
    },
  };
  return { db, calls, storage: { db } as unknown as Storage };
}

const call = (fn: (cb: Done) => void) => new Promise<{ err: unknown; ops?: unknown }>((resolve) => fn((err, ops) => resolve({ err, ops })));

describe('engineDb', () => {
  it('refuses an op too far behind before reading any op, and reads the rest', async () => {
    const { storage, calls } = fakeDb();
    const db = engineDb(storage, 100) as unknown as { getOpsToSnapshot(c: string, id: string, from: number, s: { v: number }, o: unknown, cb: Done): void };
    const near = await call((cb) => db.getOpsToSnapshot('c', 'd', 900, { v: 1000 }, {}, cb));
    expect(near.err).toBeNull();
    expect(near.ops).toHaveLength(100);
    const far = await call((cb) => db.getOpsToSnapshot('c', 'd', 899, { v: 1000 }, {}, cb));
    expect(far.err).toMatchObject({ code: 'ERR_HISTORY_PRUNED' });
    expect(calls).toEqual(['getOpsToSnapshot', 'getOps']); // the far one read nothing
  });

  it('answers reads of pruned ops ERR_HISTORY_PRUNED, the transforms\' reads included', async () => {
    const { storage } = fakeDb();
    const db = engineDb(storage, 10_000) as unknown as {
      getOps(c: string, id: string, from: number, to: number, o: unknown, cb: Done): void;
      getOpsToSnapshot(c: string, id: string, from: number, s: { v: number }, o: unknown, cb: Done): void;
    };
    expect((await call((cb) => db.getOps('c', 'd', 5, 12, {}, cb))).err).toMatchObject({ code: 'ERR_HISTORY_PRUNED' });
    expect((await call((cb) => db.getOpsToSnapshot('c', 'd', 5, { v: 12 }, {}, cb))).err).toMatchObject({ code: 'ERR_HISTORY_PRUNED' });
    expect((await call((cb) => db.getOps('c', 'd', 10, 12, {}, cb))).ops).toHaveLength(2);
  });

  it('leaves the storage\'s object as it is and calls its other methods on it, as replaced later too', () => {
    const { db: raw, storage } = fakeDb();
    const { getOps, getOpsToSnapshot } = raw;
    const db = engineDb(storage, 100) as unknown as { commit(cb: (label: string) => void): void; label: string };
    expect([raw.getOps, raw.getOpsToSnapshot]).toEqual([getOps, getOpsToSnapshot]);
    let seen = '';
    db.commit((label) => (seen = label));
    expect(seen).toBe('fake');
    raw.commit = function (this: { label: string }, cb: (label: string) => void) { cb(`${this.label}, replaced`); };
    db.commit((label) => (seen = label));
    expect([seen, db.label]).toEqual(['fake, replaced', 'fake']);
  });

  it('stamps a committed op with its commit time after the storage has written it', async () => {
    const { db: raw, storage } = fakeDb();
    const stored: string[] = [];
    const outcomes = [true, false];
    Object.assign(raw, {
      commit(_c: string, _id: string, op: object, _s: unknown, _o: unknown, cb: (err: unknown, ok?: boolean) => void) {
        stored.push(JSON.stringify(op));
        cb(null, outcomes.shift());
      },
    });
    const db = engineDb(storage, 100) as unknown as { commit(c: string, id: string, op: object, s: unknown, o: unknown, cb: (err: unknown, ok?: boolean) => void): void };
    const before = Date.now();
    const committed: { v: number; ct?: number } = { v: 1 };
    const lost: { v: number; ct?: number } = { v: 1 };
    await new Promise((resolve) => db.commit('c', 'd', committed, {}, {}, resolve));
    await new Promise((resolve) => db.commit('c', 'd', lost, {}, {}, resolve));
    expect(stored).toEqual(['{"v":1}', '{"v":1}']); // not stored
    expect(committed.ct).toBeGreaterThanOrEqual(before);
    expect(lost.ct).toBeUndefined(); // lost its version check: not committed
  });
});
