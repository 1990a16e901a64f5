import { Router } from 'express';
import { ConcordError } from '@concord/shared';
import type { Engine } from '../../engine/engine.js';
import type { LiveStatus } from '../../observability/live-status.js';
import { restSession, sessionOf } from './rest-session.js';
import type { OriginRule } from '../origin-policy.js';
import { sendError } from './rest-errors.js';
import { ADMIN_PAGE } from './admin-page.js';

/**
 * `/admin`: a page (no data in it) that polls `/admin/status` with the operator's bearer token (a URL taken from the
 * page's own, so that it works under whatever prefix the router is mounted); the status needs a principal allowed the
 * `admin` action (role `admin`).
 */
export function adminRouter(engine: Engine, status: LiveStatus, origins: OriginRule, trustProxy: boolean): Router {
  const router = Router();
  router.get('/admin', (_req, res) => {
    res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
    res.type('html').send(ADMIN_PAGE);
  });
  router.get('/admin/status', restSession(engine, origins, trustProxy), async (_req, res) => {
    const { principal } = sessionOf(res);
    const allowed = principal.roles.includes('admin') &&
      await engine.policies.authorizer.authorize({ principal, action: 'admin', collection: '*' });
    if (!allowed) return sendError(res, new ConcordError('ERR_FORBIDDEN', '/admin needs the admin role'));
    res.json(status.report());
  });
  return router;
}
