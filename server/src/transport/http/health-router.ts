import { Router } from 'express';
import type { Engine } from '../../engine/engine.js';

const PROBE_TIMEOUT_MS = 2000;

/**
 * `/healthz`: the process runs. `/readyz`: storage answers (503 otherwise); a pub/sub outage only degrades the
 * instance (200 `degraded`), so that a Redis outage does not take every instance out of a load balancer at once.
 */
export function healthRouter(engine: Engine): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [storage, pubsub] = await Promise.all([probe(engine.storage.ping()), probe(engine.pubsub.ping())]);
    if (!storage) return void res.status(503).json({ status: 'unavailable', storage: 'down' });
    if (!pubsub) return void res.json({ status: 'degraded', pubsub: 'down' });
    res.json({ status: 'ok' });
  });
  return router;
}

async function probe(ping: Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([ping, timeout]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
