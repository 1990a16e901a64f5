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
 * Origin allowlist (with CORS headers for allowed browser origins) and authentication for `/api`: the same
 * principals as the WebSocket, from `Authorization: Bearer` or `?token=`.
 */
export function restSession(engine: Engine, origins: OriginRule, trustProxy: boolean): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (!originAllowed(origins, origin)) {
      return sendError(res, new ConcordError('ERR_ORIGIN_NOT_ALLOWED', `origin ${origin ?? ''} is not allowed`));
    }
    if (origin !== undefined) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Idempotency-Key');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE');
    }
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
