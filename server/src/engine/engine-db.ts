/**
 * The storage's ShareDB DB as the engine hands it to ShareDB: a decorator that adds the engine's rules on reads of
 * ops, and its commit-time stamp, and leaves the storage's own object untouched (several engines may share one
 * storage, and the storage's other users read it as it is):
 * - ops that retention or purge removed fail with ERR_HISTORY_PRUNED, with `details` naming the versions that
 *   remain, instead of an adapter's uncoded "Missing ops" (history reads, the catch-up of a subscribe or fetch at an
 *   old version, transforms);
 * - an op more than `maxBehind` versions behind is refused before any op is read or transformed (`getOpsToSnapshot`
 *   is what ShareDB reads a submit's concurrent ops with, and nothing else calls it): see staleness.ts;
 * - a committed op is stamped with its commit time `ct` once the storage has it (so the stamp is not stored), for
 *   the commit-to-delivery metric: ShareDB publishes that same object next.
 */
import type ShareDB from 'sharedb';
import { ConcordError } from '@concord/shared';
import type { Storage } from '../storage/storage.js';
import { isMissingOps, missingOpsError } from './history.js';
import { stampCommitted } from './op-clock.js';

type Done = (err: unknown, ops?: unknown) => void;
type GetOps = (c: string, id: string, from: number | null, to: number | null, o: unknown, cb: Done) => void;
type GetOpsBulk = (c: string, from: Record<string, number | null>, to: unknown, o: unknown, cb: Done) => void;
type GetOpsToSnapshot = (c: string, id: string, from: number, snapshot: { v: number }, o: unknown, cb: Done) => void;

type Commit = (c: string, id: string, op: object, snapshot: unknown, o: unknown, cb: (err: unknown, ok?: boolean) => void) => void;

interface Overrides {
  getOps: GetOps;
  getOpsBulk: GetOpsBulk;
  getOpsToSnapshot: GetOpsToSnapshot;
  commit: Commit;
}

export function engineDb(storage: Storage, maxBehind: number): ShareDB.DB {
  const db = storage.db as unknown as Overrides & Record<PropertyKey, unknown>;
  /** A missing-ops error as ERR_HISTORY_PRUNED for ops `from` .. `to` of one document; others unchanged. */
  const mapped = (c: string, id: string, from: number, to: number | null, cb: Done): Done => (err, ops) => {
    if (!isMissingOps(err) || err instanceof ConcordError) return cb(err, ops);
    void missingOpsError(storage, c, id, from, to).then((error) => cb(error));
  };
  const overrides: Overrides = {
    getOps: (c, id, from, to, o, cb) => db.getOps(c, id, from, to, o, mapped(c, id, from ?? 0, to, cb)),
    getOpsBulk: (c, from, to, o, cb) => db.getOpsBulk(c, from, to, o, (err, ops) => {
      if (!isMissingOps(err) || err instanceof ConcordError) return cb(err, ops);
      cb(new ConcordError('ERR_HISTORY_PRUNED', `the op log of ${c} no longer holds the ops asked for`));
    }),
    getOpsToSnapshot: (c, id, from, snapshot, o, cb) => {
      const behind = snapshot.v - from;
      if (behind > maxBehind) {
        return void process.nextTick(cb, new ConcordError('ERR_HISTORY_PRUNED',
          `the op is ${behind} versions behind (at most ${maxBehind}); rebase it on the current document`));
      }
      db.getOpsToSnapshot(c, id, from, snapshot, o, mapped(c, id, from, snapshot.v, cb));
    },
    commit: (c, id, op, snapshot, o, cb) => db.commit(c, id, op, snapshot, o, (err, ok) => {
      if (!err && ok) stampCommitted(op);
      cb(err, ok);
    }),
  };
  // Everything else is the storage's own, called on the storage's object (methods bound once per function value, so
  // a method replaced on the storage later is seen).
  const bound = new Map<PropertyKey, { fn: unknown; boundFn: unknown }>();
  return new Proxy(db, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof Overrides];
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const cached = bound.get(prop);
      if (cached?.fn === value) return cached.boundFn;
      const boundFn = (value as (...args: unknown[]) => unknown).bind(target);
      bound.set(prop, { fn: value, boundFn });
      return boundFn;
    },
  }) as unknown as ShareDB.DB;
}
