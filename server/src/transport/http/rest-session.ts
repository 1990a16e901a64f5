import type { RequestHandler, Response } from 'express';
import { ConcordError } from '@concord/shared';
import type { Engine } from '../../engine/engine.js';
import type { Session } from '../../engine/principal.js';
import { clientAddress } from '../client-address.js';
import { originAllowed, type OriginRule } from '../origin-policy.js';
import { tokenFromRequest } from '../websocket/credentials.js';
import { sendError } from './rest-errors.js';

/** The session of a REST request, set by `restSession`. */
export function sessionOf(res: Response): Session {
  return res.locals['session'] as Session;
}

/**
 * First on `/api`: CORS headers for an allowed browser origin on every answer, the refusals made before
 * authentication included (503 while stopping, 429), which a browser would otherwise report as a network error; and
 * preflights of allowed origins answered before anything can refuse them (a browser sends the request, and shows
 * the page its answer, only after a 2xx preflight). Other origins are refused by `restSession`.
 */
export function restCors(origins: OriginRule): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined || !originAllowed(origins, origin)) return next();
    allowOrigin(res, origin);
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  };
}

/** CORS headers for an allowed origin; `Retry-After` exposed so that a page can wait as told after a 429. */
function allowOrigin(res: Response, origin: string): void {
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Idempotency-Key');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE');
  res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
}

/**
 * Origin allowlist (with CORS headers for allowed browser origins) and authentication for `/api`: the same
 * principals as the WebSocket, from `Authorization: Bearer` or `?token=`.
 */
export function restSession(engine: Engine, origins: OriginRule, trustProxy: boolean): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (!originAllowed(origins, origin)) {
      return sendError(res, new ConcordError('ERR_ORIGIN_NOT_ALLOWED', `origin ${origin ?? ''} is not allowed`));
    }
    if (origin !== undefined) allowOrigin(res, origin);
    if (req.method === 'OPTIONS') return void res.status(204).end();
    const token = tokenFromRequest(req);
    const { authenticator } = engine.policies;
    if (token === undefined && authenticator.required) {
      return sendError(res, new ConcordError('ERR_UNAUTHENTICATED', 'a bearer token is required'));
    }
    const remoteAddress = clientAddress(req, trustProxy);
    authenticator.authenticate({ token, headers: req.headers, remoteAddress }).then((principal) => {
      res.locals['session'] = { principal, remoteAddress, transport: 'rest' } satisfies Session;
      next();
    }, () => sendError(res, new ConcordError('ERR_UNAUTHENTICATED', 'the token is invalid or expired')));
  };
}
