/**
 * The error catalogue: a closed set of `ERR_*` codes, each with the HTTP status it answers with and, where it ends a
 * WebSocket connection, the close code. REST bodies carry `{"error":{"code","message"}}`; ShareDB protocol replies
 * carry `{error:{code,message}}`. The README's error table is this list.
 */
import { CloseCode } from './protocol.js';

export interface ErrorSpec {
  /** HTTP status a REST request failing with this code answers with. */
  readonly status: number;
  /** WebSocket close code when this error ends a connection. */
  readonly close?: CloseCode;
  /** One line: what it means and what to do. */
  readonly hint: string;
}

export const ERRORS = {
  ERR_BAD_REQUEST: { status: 400, hint: 'The request is malformed (fields, types or JSON); fix the request.' },
  ERR_INVALID_NAME: {
    status: 400,
    hint: 'Collection names and ids are 1-200 characters of letters, digits, _ - . :; rename.',
  },
  ERR_UNKNOWN_TYPE: { status: 400, hint: 'The type is not one of json0, json1, rich-text, text-unicode.' },
  ERR_OP_INVALID: {
    status: 400,
    hint: 'The op does not apply to the document (bad position, length, path or shape); refetch and rebuild it.',
  },
  ERR_VERSION_AHEAD: { status: 400, hint: 'The op or read names a version the document has not reached; refetch.' },
  ERR_MESSAGE_BADLY_FORMED: {
    status: 400,
    close: 1007,
    hint: 'A WebSocket frame was not a JSON object (or nested too deeply); the connection is closed. Send ShareDB protocol messages only.',
  },
  ERR_BINARY_FRAME: {
    status: 400,
    close: 1003,
    hint: 'Binary WebSocket frames are not part of the protocol; the connection is closed. Send JSON text frames.',
  },
  ERR_UNAUTHENTICATED: {
    status: 401,
    close: 4401,
    hint: 'The token is missing, invalid or expired; get a fresh token and reconnect.',
  },
  ERR_AUTH_TIMEOUT: {
    status: 401,
    close: 4408,
    hint: 'No authentication arrived within the deadline after connecting; authenticate right after opening.',
  },
  ERR_FORBIDDEN: { status: 403, close: 4403, hint: 'The principal may not do this; ask for access.' },
  ERR_QUOTA_EXCEEDED: {
    status: 403,
    hint: 'The user owns as many documents as the collection allows; delete some or ask for a higher quota.',
  },
  ERR_ORIGIN_NOT_ALLOWED: {
    status: 403,
    close: 4403,
    hint: 'The Origin header is not allowed; add the page origin to ALLOWED_ORIGINS.',
  },
  ERR_NOT_FOUND: { status: 404, hint: 'No such route.' },
  ERR_DOC_NOT_FOUND: { status: 404, hint: 'The document was never created or has been deleted; create it first.' },
  ERR_DOC_ALREADY_CREATED: { status: 409, hint: 'A document with this id exists; fetch it or pick another id.' },
  ERR_HISTORY_PRUNED: {
    status: 410,
    hint: 'The op log no longer holds the ops needed; read a later version.',
  },
  ERR_MESSAGE_TOO_BIG: {
    status: 413,
    close: 1009,
    hint: 'The message exceeds MAX_MESSAGE_BYTES; send smaller ops or raise the limit.',
  },
  ERR_RATE_LIMITED: {
    status: 429,
    close: 4429,
    hint: 'Too many requests or connections from this address; wait for the delay given (Retry-After or the close reason) and retry.',
  },
  ERR_SLOW_CONSUMER: {
    status: 503,
    close: 1013,
    hint: 'The client read too slowly and its outbound buffer filled up; it was disconnected and may reconnect.',
  },
  ERR_SHUTTING_DOWN: {
    status: 503,
    close: 1001,
    hint: 'The server is stopping; reconnect, or retry the REST request (on another instance).',
  },
  ERR_STORAGE_UNAVAILABLE: { status: 503, hint: 'The storage does not answer; retry later and check /readyz.' },
  ERR_INTERNAL: { status: 500, close: 1011, hint: 'An unexpected server error; the server logs carry the details.' },
  ERR_CONNECTION_CLOSED: {
    status: 503,
    hint: 'Client side: the connection was closed for good (close(), or a close code that stops it) before this was answered; connect again.',
  },
} as const satisfies Record<`ERR_${string}`, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, value);
}

/** The wire shape of an error, in REST bodies (`{error: ...}`) and ShareDB replies. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** An error carrying a catalogue code. Thrown by server code, reported to clients as `{code, message}`. */
export class ConcordError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable detail for the client (for example the nearest versions that remain). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ConcordError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  toJSON(): ErrorBody & { details?: Readonly<Record<string, unknown>> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : {
      code: this.code,
      message: this.message,
    };
  }
}

/**
 * What was thrown or reported, as an Error: an Error as it is; an error-like `{message, code?}` object (ShareDB reports
 * errors as such objects) as an Error with its message and code; anything else with its text as the message.
 */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'object' && thrown !== null && typeof (thrown as { message?: unknown }).message === 'string') {
    const { message, code } = thrown as { message: string; code?: unknown };
    return Object.assign(new Error(message), typeof code === 'string' ? { code } : {});
  }
  return new Error(String(thrown));
}

/** The message of what was thrown, whatever it was (see toError). */
export function errorMessage(thrown: unknown): string {
  return toError(thrown).message;
}
