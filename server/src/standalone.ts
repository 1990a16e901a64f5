/**
 * The standalone server: storage and pub/sub from the configuration, an Express app with the collab router (and
 * the demo pages), WebSocket upgrades on `/ws`, and a graceful `close()`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Config } from './config.js';
import { createCollabServer, type CollabServer } from './collab-server.js';
import { createJwtAuthenticator } from './policy/jwt-authenticator.js';
import { NO_RULES } from './policy/authorize/access-rules.js';
import { createStorage } from './storage/create-storage.js';
import { createRedisPubSub } from './pubsub/redis.js';
import { createValidator } from './policy/validate/create-validator.js';
import type { OriginRule } from './transport/origin-policy.js';
import { createLogger, type Logger } from './observability/logger.js';
import { demoRouter } from './transport/http/demo-router.js';
import { refuseUpgrade } from './transport/websocket/websocket-transport.js';

const WS_PATH = '/ws';

function refuseOtherPaths(req: IncomingMessage, socket: Duplex): void {
  if (new URL(req.url ?? '/', 'http://localhost').pathname === WS_PATH) return;
  socket.on('error', () => socket.destroy());
  refuseUpgrade(socket, 'ERR_NOT_FOUND');
}

export interface RunningServer {
  /** `http://host:port` with the bound port. */
  readonly url: string;
  readonly port: number;
  readonly http: Server;
  readonly collab: CollabServer;
  /** Graceful stop: no new connections, sockets closed with 1001, in-flight commits finished, storage closed. */
  close(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger = createLogger({ level: config.logLevel })): Promise<RunningServer> {
  for (const warning of config.warnings) logger.warn(warning);
  const storage = createStorage(config, logger);
  const pubsub = config.redisUrl ? createRedisPubSub({
    url: config.redisUrl,
    onError: throttled(15_000, (err: Error) => logger.warn({ err: err.message }, 'redis pub/sub error; reconnecting')),
  }) : undefined;
  const collab = createCollabServer({
    pubsub,
    validator: validatorFor(config),
    quotas: config.quotas,
    auth: config.auth ? createJwtAuthenticator({
      secret: config.auth.jwtSecret, publicKey: config.auth.jwtPublicKey,
      issuer: config.auth.issuer, audience: config.auth.audience,
    }) : 'none',
    // With authentication and no rules in CONFIG_FILE, nothing is allowed but what owners, grants and admins allow.
    ...(config.rules !== undefined || config.auth ? { rules: config.rules ?? NO_RULES } : {}),
    storage,
    ...(config.retention ? { retention: { policies: config.retention } } : {}),
    origins: originRule(config),
    trustProxy: config.trustProxy,
    limits: {
      maxMessageBytes: config.maxMessageBytes, connectionsPerIp: config.connectionsPerIp, restPerSec: config.restPerSec,
      opsPerSec: config.opsPerSec, presencePerSec: config.presencePerSec,
    },
    logger,
    admin: true,
    // Production serves /metrics only with METRICS_TOKEN (404 otherwise); development serves it openly.
    ...(config.metricsToken !== undefined || !config.production ? {
      metrics: { token: config.metricsToken, collections: configuredCollections(config) },
    } : {}),
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(collab.router);
  app.use(demoRouter());
  const http = createServer(app);
  collab.attach(http, { path: WS_PATH });
  // This server owns every upgrade path: one it does not serve is answered 404, not left open until the client gives up.
  http.on('upgrade', refuseOtherPaths);
  try {
    await listen(http, config.port, config.host);
  } catch (err) {
    await collab.close().catch(() => undefined); // the storage and pub/sub opened above
    throw err;
  }
  const { port } = http.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url, port, http, collab,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
        await collab.close();
        http.closeIdleConnections();
        http.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}

/** Why listening can fail, in the words of the variables to change. */
const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is in use; pick another PORT (0 picks a free one)',
  EADDRNOTAVAIL: 'no network interface of this machine has that address; check HOST',
  EACCES: 'not allowed to listen there (ports below 1024 need privileges); check PORT',
  ENOTFOUND: 'HOST does not resolve to an address',
};

/** Listens, or fails with a message that names HOST and PORT (the only settings a listen error can be fixed by). */
function listen(http: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException): void => {
      const hint = err.code !== undefined ? LISTEN_ERRORS[err.code] : undefined;
      const why = hint !== undefined ? `${hint} (${err.code})` : err.message;
      reject(new Error(`cannot listen on HOST=${host} PORT=${port}: ${why}`, { cause: err }));
    };
    http.once('error', failed);
    http.listen(port, host, () => {
      http.off('error', failed);
      resolve();
    });
  });
}

function validatorFor(config: Config): ReturnType<typeof createValidator> {
  try {
    return createValidator({ schemas: collectionSchemas(config), maxDocBytes: config.maxDocBytes });
  } catch (err) {
    throw new Error(`CONFIG_FILE: a collections.<name>.schema is not a valid JSON Schema: ${(err as Error).message}`);
  }
}

/** JSON Schemas from CONFIG_FILE's `collections.<name>.schema`, for json0 / json1 documents. */
function collectionSchemas(config: Config): Record<string, object> {
  const schemas: Record<string, object> = {};
  const collections = config.file?.['collections'];
  if (!collections || typeof collections !== 'object') return schemas;
  for (const [name, entry] of Object.entries(collections as Record<string, unknown>)) {
    const schema = (entry as { schema?: unknown } | null)?.schema;
    if (schema && typeof schema === 'object') schemas[name] = schema;
  }
  return schemas;
}

/** Collection names the configuration mentions, used as metric labels. */
function configuredCollections(config: Config): string[] {
  const names = new Set<string>();
  for (const key of ['collections', 'retention']) {
    const section = config.file?.[key];
    if (section && typeof section === 'object') for (const name of Object.keys(section)) if (name !== '*') names.add(name);
  }
  return [...names];
}

/** Calls `fn` at most once per `intervalMs` (a Redis outage reports an error per reconnect attempt). */
function throttled<A extends unknown[]>(intervalMs: number, fn: (...args: A) => void): (...args: A) => void {
  let last = 0;
  return (...args) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    fn(...args);
  };
}

function originRule(config: Config): OriginRule {
  if (config.allowedOrigins) return { kind: 'list', origins: config.allowedOrigins };
  return config.production ? { kind: 'list', origins: [config.publicOrigin] } : { kind: 'local' };
}
