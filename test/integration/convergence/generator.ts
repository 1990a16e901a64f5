/** What the convergence driver needs from one OT type: a starting document and random valid ops against it. */
import type { Rng } from './random.js';

/** What a generator may draw on while building one op for one client. */
export interface GenContext {
  readonly rng: Rng;
  /** A new id unique across all clients (`c<client>:<n>`), e.g. for object keys no one else writes. */
  uid(): string;
  /** A new marker (`<c<client>:<n>>`) that the final document must contain exactly once. */
  marker(): string;
}

export interface OpGenerator {
  /** The type name passed to `doc.create`. */
  readonly type: string;
  initialData(): unknown;
  /**
   * A random op that is valid against `data`, the client's current local (optimistic) snapshot. It must never
   * delete a marker, and only moves markers where no concurrent op can drop them.
   */
  next(data: unknown, ctx: GenContext): unknown;
  /** How often `marker` occurs where the generator put it (the test expects exactly 1). */
  markerCount(data: unknown, marker: string): number;
  /** The document's text, for text types (checked for split surrogate pairs). */
  textOf?(data: unknown): string;
}
