import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { ConcordError } from '@concord/shared';
import { clientAddress } from '../client-address.js';
import { sendError } from './rest-errors.js';

const WINDOW_MS = 10_000;

/**
 * Requests to `/api` per client address (the one the WebSocket limits use, `X-Forwarded-For` only with
 * `trustProxy`), counted before authentication so that token guessing is limited too: at most `perSec` on average
 * over a 10 s window, so short bursts pass. Beyond it, `429 ERR_RATE_LIMITED` with `Retry-After` (the seconds until
 * the window ends). Counted per process. `perSec` 0 turns it off.
 */
export function restRateLimit(perSec: number, trustProxy: boolean): RequestHandler | undefined {
  if (perSec <= 0) return undefined;
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: perSec * (WINDOW_MS / 1000),
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => clientAddress(req, trustProxy),
    // The address is resolved above, as for the WebSocket; the library's own IP and proxy checks do not apply.
    validate: false,
    handler: (_req, res) => {
      const retryAfter = Number(res.getHeader('Retry-After')) || Math.ceil(WINDOW_MS / 1000);
      sendError(res, new ConcordError('ERR_RATE_LIMITED', `more than ${perSec} requests per second from this address`), retryAfter);
    },
  });
}
