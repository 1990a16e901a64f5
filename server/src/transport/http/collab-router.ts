import express, { Router, type RequestHandler } from 'express';
import { ConcordError, DEFAULT_LIMITS } from '@concord/shared';
import type { Engine } from '../../engine/engine.js';
import type { DocService } from '../../engine/doc-service.js';
import type { Logger } from '../../observability/logger.js';
import type { OriginRule } from '../origin-policy.js';
import { docsRouter } from './docs-router.js';
import { aclRouter } from './acl-router.js';
import type { AclService } from '../../policy/authorize/acl-service.js';
import { healthRouter } from './health-router.js';
import { restErrorHandler, sendError } from './rest-errors.js';
import { restCors, restSession } from './rest-session.js';
import { restRateLimit } from './rest-rate-limit.js';

export interface CollabRouterOptions {
  origins: OriginRule;
  trustProxy: boolean;
  maxBodyBytes: number;
  /** Requests to `/api` per second per client address (averaged over 10 s); 0 = unlimited. */
  restPerSec: number;
  /** The document routes' logic. */
  docs: DocService;
  /** Serves the `acl` routes when given. */
  acl?: AclService;
  /** True once the server's close() has begun: `/api` then answers 503 ERR_SHUTTING_DOWN. */
  stopping: () => boolean;
}

/** The router a host app mounts: `/healthz`, `/readyz` and `/api`. Other paths fall through to the host app. */
export function collabRouter(engine: Engine, options: CollabRouterOptions, logger: Logger): Router {
  const router = Router();
  router.use(healthRouter(engine));
  const api = Router();
  api.use(restCors(options.origins));
  api.use(refuseWhileStopping(options.stopping));
  const limit = restRateLimit(options.restPerSec, options.trustProxy);
  if (limit) api.use(limit);
  api.use(restSession(engine, options.origins, options.trustProxy));
  api.use(express.json({ limit: options.maxBodyBytes || DEFAULT_LIMITS.maxRestBodyBytes, strict: false }));
  if (options.acl) api.use(aclRouter(options.acl));
  api.use(docsRouter(options.docs));
  api.use((_req, res) => sendError(res, new ConcordError('ERR_NOT_FOUND', 'no such API route')));
  api.use(restErrorHandler(logger));
  router.use('/api', api);
  return router;
}

/**
 * A stopping server takes no new REST requests, whatever its storage: new writes would hold the stop that waits for
 * submits in flight, and a closed store would fail them as internal errors (or, in memory, keep serving).
 * `Connection: close` sends a keep-alive client's next request to a fresh connection, and so to another instance.
 */
function refuseWhileStopping(stopping: () => boolean): RequestHandler {
  return (_req, res, next) => {
    if (!stopping()) return next();
    res.setHeader('Connection', 'close');
    sendError(res, new ConcordError('ERR_SHUTTING_DOWN', 'the server is stopping; retry on another instance'));
  };
}
