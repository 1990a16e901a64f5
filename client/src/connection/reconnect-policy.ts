/**
 * What the client does after its socket closes: the contract's close-code table (`closeAction` from the shared
 * package) turned into decisions with delays. Pure and clock-free, so every row is unit-tested.
 *
 * - `reconnect` (1001, 1006, unknown codes): reconnect after an exponential, jittered, capped delay.
 * - `wait-and-reconnect` (4429): reconnect no sooner than the `retry-after=<ms>` of the close reason.
 * - `reauthenticate` (4401, 4408): get a fresh token once and reconnect; a second such close before the connection
 *   is back online, or a failing token source, ends in `unauthenticated`.
 * - `stop` (1003, 1007, 1008, 1009, 4403): stop and report the error.
 */
import { closeAction, ConcordError, ERRORS, errorMessage, isErrorCode, parseRetryAfter, type ErrorCode } from '@concord/shared';
import { backoffDelay, type BackoffOptions } from './backoff.js';

export type CloseDecision =
  /** Connect again after `delayMs`; `reauth` marks the one attempt with a fresh token after a 4401 / 4408. */
  | { readonly kind: 'reconnect'; readonly delayMs: number; readonly reauth: boolean }
  /** Give up: the server refused this client for good (message too big, forbidden, bad frames). */
  | { readonly kind: 'stop'; readonly error: ConcordError }
  /** Give up: no valid token could be had. */
  | { readonly kind: 'unauthenticated'; readonly error: ConcordError };

export class ReconnectPolicy {
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;
  private attempt = 0;
  private reauthenticating = false;

  constructor(backoff: BackoffOptions, random: () => number = Math.random) {
    this.backoff = backoff;
    this.random = random;
  }

  /** The connection is online again: backoff and the one re-authentication start over. */
  online(): void {
    this.attempt = 0;
    this.reauthenticating = false;
  }

  /** Decides what follows a close with `code` and `reason`. */
  closed(code: number, reason: string): CloseDecision {
    switch (closeAction(code)) {
      case 'reconnect':
        return this.reconnect();
      case 'wait-and-reconnect':
        return this.waitThenReconnect(reason);
      case 'reauthenticate':
        return this.reauthenticate(code, reason);
      case 'stop':
        return { kind: 'stop', error: closeError(code, reason) };
    }
  }

  /** The token source failed; during the re-authentication attempt that is final, otherwise retry later. */
  tokenFailed(cause: unknown): CloseDecision {
    if (this.reauthenticating) {
      return { kind: 'unauthenticated', error: new ConcordError('ERR_UNAUTHENTICATED', `no fresh token: ${describe(cause)}`) };
    }
    return this.reconnect();
  }

  private reconnect(): CloseDecision {
    return { kind: 'reconnect', delayMs: backoffDelay(this.attempt++, this.backoff, this.random), reauth: this.reauthenticating };
  }

  private waitThenReconnect(reason: string): CloseDecision {
    // Without a delay in the reason, wait as long as the backoff ever does.
    const retryAfter = parseRetryAfter(reason) ?? this.backoff.maxMs;
    this.attempt++;
    // Jitter on top of the server's delay keeps rate-limited clients from returning in lockstep.
    const jitter = this.random() * this.backoff.initialMs;
    return { kind: 'reconnect', delayMs: retryAfter + Math.max(0, jitter), reauth: this.reauthenticating };
  }

  private reauthenticate(code: number, reason: string): CloseDecision {
    if (this.reauthenticating) return { kind: 'unauthenticated', error: closeError(code, reason) };
    this.reauthenticating = true;
    // The first retry is immediate-ish: the old token was refused, not the network.
    return { kind: 'reconnect', delayMs: this.random() * this.backoff.initialMs / 2, reauth: true };
  }
}

const CODE_BY_CLOSE = new Map<number, ErrorCode>();
for (const [code, spec] of Object.entries(ERRORS) as Array<[ErrorCode, { close?: number }]>) {
  if (spec.close !== undefined && !CODE_BY_CLOSE.has(spec.close)) CODE_BY_CLOSE.set(spec.close, code);
}
// 1008 comes from the WebSocket layer itself (a message in too many fragments), with no catalogue code as reason.
CODE_BY_CLOSE.set(1008, 'ERR_MESSAGE_BADLY_FORMED');

/** The catalogue error a close stands for: the reason when it is an `ERR_*` code, else the close code's entry. */
export function closeError(code: number, reason: string): ConcordError {
  const errorCode = isErrorCode(reason) ? reason : CODE_BY_CLOSE.get(code) ?? 'ERR_INTERNAL';
  return new ConcordError(errorCode, `connection closed with ${code}${reason ? ` (${reason})` : ''}`, { closeCode: code });
}

function describe(cause: unknown): string {
  return errorMessage(cause);
}
