/**
 * The Origin allowlist for WebSocket upgrades and REST. Requests without an Origin header (servers, scripts) are
 * not subject to it: browsers always send one, and it is browsers that cross-site requests come from.
 */
export type OriginRule =
  /** Development default: any `http(s)://localhost` or `127.0.0.1` / `[::1]` origin, on any port. */
  | { kind: 'local' }
  /** Exactly these origins (scheme, host and port, no trailing slash). */
  | { kind: 'list'; origins: readonly string[] };

const LOCAL_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

export function originAllowed(rule: OriginRule, origin: string | undefined): boolean {
  if (origin === undefined) return true;
  if (rule.kind === 'local') return LOCAL_ORIGIN.test(origin);
  return rule.origins.includes(origin);
}
