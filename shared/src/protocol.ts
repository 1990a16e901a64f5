/**
 * What server and clients agree on beyond the ShareDB protocol itself: WebSocket close codes and what a client does
 * on each, default limits, the in-band auth message, presence payload shapes and the rules for names.
 */

/** What the client package does when a connection closes with a code. */
export type CloseAction =
  /** Reconnect with exponential backoff and jitter. */
  | 'reconnect'
  /** Get a fresh token once and reconnect; if that fails, stop with status `unauthenticated`. */
  | 'reauthenticate'
  /** Wait at least the delay (ms) in the close reason, then reconnect. */
  | 'wait-and-reconnect'
  /** Stop and report an error. */
  | 'stop';

export const CLOSE_CODES = {
  /** Server shutting down. */
  GOING_AWAY: 1001,
  /** A binary or otherwise unsupported frame. */
  UNSUPPORTED_DATA: 1003,
  /** Connection lost (never sent on the wire, reported by the client's socket). */
  ABNORMAL: 1006,
  /** A text frame that is not a JSON object. */
  INVALID_PAYLOAD: 1007,
  /** Policy violation; sent by the WebSocket layer for a message split into too many fragments. */
  POLICY_VIOLATION: 1008,
  /** Message larger than MAX_MESSAGE_BYTES. */
  MESSAGE_TOO_BIG: 1009,
  /** Unexpected server error. */
  INTERNAL_ERROR: 1011,
  /** The client read too slowly; its outbound buffer overflowed. */
  TRY_AGAIN_LATER: 1013,
  /** Unauthenticated or token expired. */
  UNAUTHENTICATED: 4401,
  /** Forbidden (including a disallowed Origin). */
  FORBIDDEN: 4403,
  /** Authentication deadline passed. */
  AUTH_TIMEOUT: 4408,
  /** Sustained rate abuse; the close reason is `retry-after=<ms>`. */
  RATE_LIMITED: 4429,
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** The close-code table of the contract, row by row, with the client behaviour each implies. */
export const CLOSE_ACTIONS: Readonly<Record<CloseCode, CloseAction>> = {
  1001: 'reconnect',
  1003: 'stop',
  1006: 'reconnect',
  1007: 'stop',
  1008: 'stop',
  1009: 'stop',
  1011: 'reconnect',
  1013: 'reconnect',
  4401: 'reauthenticate',
  4403: 'stop',
  4408: 'reauthenticate',
  4429: 'wait-and-reconnect',
};

/** What to do for any close code, including ones not in the table (treated as a lost connection). */
export function closeAction(code: number): CloseAction {
  return (CLOSE_ACTIONS as Record<number, CloseAction | undefined>)[code] ?? 'reconnect';
}

/** The close reason of a 4429 close: `retry-after=<ms>`. */
export function formatRetryAfter(ms: number): string {
  return `retry-after=${Number.isFinite(ms) ? Math.max(0, Math.ceil(ms)) : 0}`;
}

export function parseRetryAfter(reason: string): number | undefined {
  const match = /^retry-after=(\d+)$/.exec(reason);
  return match ? Number(match[1]) : undefined;
}

/** Default limits; each is overridable by the environment variable named in the README. */
export const DEFAULT_LIMITS = {
  /** Largest WebSocket message in bytes (`MAX_MESSAGE_BYTES`). */
  maxMessageBytes: 1_048_576,
  /** Ops a connection may submit per second before it is read more slowly (`LIMIT_OPS_PER_SEC`). */
  opsPerSec: 200,
  /** Presence updates per second per connection (`LIMIT_PRESENCE_PER_SEC`). */
  presencePerSec: 50,
  /** Open connections per client address (`LIMIT_CONNECTIONS_PER_IP`). */
  connectionsPerIp: 256,
  /** REST requests per second per client address, averaged over 10 s (`LIMIT_REST_PER_SEC`). */
  restPerSec: 100,
  /** Outbound bytes buffered for one slow client before it is disconnected with 1013. */
  maxBufferedBytes: 8 * 1_048_576,
  /** Interval of WebSocket pings to a connection that has sent presence; a peer that misses one full interval is
   * terminated, so a lost network ends it (and clears its presence for everyone) within two intervals, inside the
   * contract's 5 s. Connections that never sent presence are pinged every fifth interval. */
  heartbeatMs: 2_000,
  /** Time a connection has to authenticate before 4408. */
  authDeadlineMs: 10_000,
  /** Largest `$limit` of a query (a larger or missing one is capped). */
  maxQueryLimit: 1000,
  /** Documents named in one bulk fetch / subscribe. */
  maxBulkSize: 500,
  /** Documents and queries one connection may subscribe to at once. */
  maxSubscriptions: 5000,
  /** Ops returned by one history read. */
  maxOpsPerRead: 1000,
  /** Deepest nesting of arrays and objects accepted in one message (a depth bomb is refused before ShareDB sees it). */
  maxJsonDepth: 100,
  /** Largest REST request body in bytes. */
  maxRestBodyBytes: 1_048_576,
} as const;

/** The in-band authentication message a client sends right after the socket opens. */
export interface AuthMessage {
  a: 'auth';
  token: string;
}

export function isAuthMessage(value: unknown): value is AuthMessage {
  return typeof value === 'object' && value !== null && (value as { a?: unknown }).a === 'auth' &&
    typeof (value as { token?: unknown }).token === 'string';
}

/** Who sent a presence update, stamped by the server; a client cannot set it. */
export interface PresenceUser {
  sub: string;
  name?: string;
}

/** The `sub` of the principal every connection gets when the server runs without authentication. */
export const ANONYMOUS_SUB = 'anonymous';

/**
 * A display name a client chose for itself, carried in presence payloads as `label`. Unverified: clients show it
 * only for the anonymous principal (a server without authentication), whose stamped `user` has no name.
 */
export const MAX_PRESENCE_LABEL_LENGTH = 100;

/** A text cursor or selection (rich-text: Quill units; text-unicode: code points), plus the stamped sender. */
export interface TextPresence {
  index: number;
  length: number;
  user?: PresenceUser;
  /** Self-chosen display name, see MAX_PRESENCE_LABEL_LENGTH. */
  label?: string;
}

/** Whiteboard presence on json1 documents: a pointer and the selected shape ids, plus the stamped sender. */
export interface BoardPresence {
  pointer?: { x: number; y: number } | null;
  selection?: string[];
  user?: PresenceUser;
  /** Self-chosen display name, see MAX_PRESENCE_LABEL_LENGTH. */
  label?: string;
}

/** Collection names and document ids: 1 to 200 letters, digits, `_`, `-`, `.`, `:`. */
export const NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,200}$/;

/** Names that would touch JavaScript prototypes when used as keys: refused in names, paths, keys and presence. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A valid collection name or document id: NAME_PATTERN, and not a prototype key nor the name of any property of
 * `Object.prototype` (`toString`, `hasOwnProperty`, ...): ShareDB's agent refuses those as collections and ids, and
 * maps keyed by name would find the inherited property (a quota, a document of no version in the memory store).
 */
export function isValidName(value: unknown): value is string {
  return typeof value === 'string' && NAME_PATTERN.test(value) && !PROTOTYPE_KEYS.has(value) &&
    !Object.prototype.hasOwnProperty.call(Object.prototype, value);
}

/** The WebSocket path the standalone server serves. */
export const DEFAULT_WS_PATH = '/ws';
