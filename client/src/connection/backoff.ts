/**
 * Reconnection delays: exponential growth with "equal jitter" and a cap. Half of each delay is fixed and half is
 * random, so that the clients of a restarted server spread their reconnects out instead of arriving together,
 * while none of them retries immediately.
 */

export interface BackoffOptions {
  /** Ceiling of the first delay in ms. Default 500. */
  initialMs: number;
  /** Largest delay in ms. Default 15 000. */
  maxMs: number;
  /** Growth of the ceiling per failed attempt. Default 2. */
  factor: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialMs: 500, maxMs: 15_000, factor: 2 });

/** The largest delay of attempt `attempt` (0-based): `min(maxMs, initialMs * factor^attempt)`. */
export function backoffCeiling(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const grown = options.initialMs * Math.pow(options.factor, Math.max(0, attempt));
  return Math.min(options.maxMs, Number.isFinite(grown) ? grown : options.maxMs);
}

/** A delay in `[ceiling / 2, ceiling]` for attempt `attempt` (0-based). */
export function backoffDelay(
  attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random,
): number {
  const ceiling = backoffCeiling(attempt, options);
  return ceiling / 2 + clamp01(random()) * (ceiling / 2);
}

export function resolveBackoff(partial: Partial<BackoffOptions> | undefined): BackoffOptions {
  const options = { ...DEFAULT_BACKOFF, ...partial };
  if (!(options.initialMs >= 0) || !(options.maxMs >= options.initialMs) || !(options.factor >= 1)) {
    throw new RangeError('backoff needs 0 <= initialMs <= maxMs and factor >= 1');
  }
  return options;
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
