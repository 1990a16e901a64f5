/**
 * Sub-millisecond timing of one op through the server, for the latency metrics and `/admin`.
 *
 * ShareDB's own `request.start` is a `Date.now()` value: at the latencies Concord runs at (well under 2 ms from
 * submit to commit), a millisecond clock puts most samples into the wrong histogram bucket (0 or 1 ms, depending on
 * where a millisecond boundary falls). So:
 * - a submitted op carries its arrival time (`performance.now()`) under a symbol, which JSON (the op log, Redis, the
 *   wire) never sees;
 * - a committed op carries its commit time `ct` as a fractional-millisecond wall clock. ShareDB hands each
 *   subscriber a shallow copy of the op (symbols are not copied), and an op committed by another process arrives
 *   over Redis as JSON, so this stamp is a plain number. It is set after the storage has the op, so it is never
 *   stored, and ShareDB sends clients only protocol fields.
 * The wall clock is the monotonic clock plus the epoch time it was calibrated against when the process started
 * (`performance.timeOrigin`). Between processes it is as good as their clocks' agreement; a step of the system clock
 * (not NTP's gradual slewing, which both follow) skews a process's cross-process delivery figures until it restarts.
 */
import { performance } from 'node:perf_hooks';

const SUBMITTED_AT = Symbol('concord.submittedAt');

type Stamped = { [SUBMITTED_AT]?: number; ct?: unknown };

/** Milliseconds since the epoch, with the monotonic clock's sub-millisecond resolution. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Marks `op` as received now (before it waits for earlier submits to its document). */
export function stampSubmitted(op: object): void {
  (op as Stamped)[SUBMITTED_AT] = performance.now();
}

/** Milliseconds since `op` was received; from `start` (ShareDB's `request.start`, ms) for an op not stamped here. */
export function msSinceSubmitted(op: object, start: number): number {
  const at = (op as Stamped)[SUBMITTED_AT];
  return at === undefined ? Date.now() - start : performance.now() - at;
}

/** Marks `op` as committed now. */
export function stampCommitted(op: object): void {
  (op as Stamped).ct = wallClockMs();
}

/** Milliseconds since `op` (or a copy of it) was committed, here or in another process; undefined without a stamp. */
export function msSinceCommitted(op: object): number | undefined {
  const ct = (op as Stamped).ct;
  return typeof ct === 'number' ? Math.max(0, wallClockMs() - ct) : undefined;
}
