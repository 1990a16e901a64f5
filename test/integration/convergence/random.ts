/** A small seeded PRNG (mulberry32) and the draws the op generators need, so a failing run can be replayed. */

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(0, items.length - 1)] as T;
    },
  };
}

/** A seed per (run seed, label, client) so every client draws its own independent, replayable stream. */
export function deriveSeed(seed: number, label: string, client: number): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (const ch of `${label}#${client}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** `SEED` from the environment when set (a replay), otherwise the clock. */
export function seedFrom(env: Record<string, string | undefined>): number {
  const raw = env.SEED;
  if (raw === undefined || raw === '') return Date.now() % 2_147_483_647;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`SEED must be an integer, got ${raw}`);
  return seed;
}
