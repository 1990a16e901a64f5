import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { ConcordError } from '@concord/shared';
import type { Metrics } from '../../observability/metrics.js';
import { sendError } from './rest-errors.js';

/** `GET /metrics` in Prometheus text format; with a token, only for `Authorization: Bearer <token>`. */
export function metricsRouter(metrics: Metrics, token: string | undefined): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      return sendError(res, new ConcordError('ERR_UNAUTHENTICATED', '/metrics needs the METRICS_TOKEN bearer token'));
    }
    const { contentType, body } = await metrics.render();
    res.setHeader('Content-Type', contentType);
    res.send(body);
  });
  return router;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
