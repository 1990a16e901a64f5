/**
 * `createCollabServer(options)`: the library entry. It returns the ShareDB backend, an Express router for `/api`,
 * `/healthz` and `/readyz`, `attach(httpServer, { path })` for WebSocket upgrades on one path, and `close()`.
 * It never takes over the host app's other routes or upgrade paths, and it opens nothing until called.
 */
import type { Server } from 'node:http';
import ShareDBModule from 'sharedb';
import type ShareDB from 'sharedb';
import type { Router } from 'express';
import { DEFAULT_LIMITS, DEFAULT_WS_PATH } from '@concord/shared';
import { Engine } from './engine/engine.js';
import type { RetentionOptions } from './engine/retention.js';
import { DocService } from './engine/doc-service.js';
import type { Authenticator, Authorizer, Validator } from './engine/policies.js';
import { allowAllAuthenticator } from './engine/policies.js';
import type { Storage } from './storage/storage.js';
import type { PubSubAdapter } from './pubsub/pubsub.js';
import { createMemoryStorage } from './storage/memory.js';
import { silentLogger, type Logger } from './observability/logger.js';
import type { OriginRule } from './transport/origin-policy.js';
import { WebSocketTransport } from './transport/websocket/websocket-transport.js';
import { collabRouter } from './transport/http/collab-router.js';
import { createAuthorization } from './policy/authorize/authorization.js';
import { installAccessEnforcement } from './policy/authorize/access-enforcement.js';
import { installQuotas } from './policy/quota.js';
import type { AccessRules } from './policy/authorize/access-rules.js';
import { metricsRouter } from './transport/http/metrics-router.js';
import { Metrics } from './observability/metrics.js';
import { LiveStatus } from './observability/live-status.js';
import { createValidator } from './policy/validate/create-validator.js';
import { adminRouter } from './transport/http/admin-router.js';
import { restErrorHandler } from './transport/http/rest-errors.js';

export interface CollabServerOptions {
  /** Authentication: `"none"` runs open (every connection is the anonymous principal), explicitly. */
  auth: 'none' | Authenticator;
  /** Default: in-memory storage (nothing persists). */
  storage?: Storage;
  /** Default: in-process pub/sub (one process). */
  pubsub?: PubSubAdapter;
  /**
   * A host app's own authorization, used instead of `rules`. Default: the rule-based authorizer over `rules`; without
   * rules, `auth: "none"` allows the anonymous principal everything but purge, share and admin, and with
   * authentication every authenticated principal may create, read, write, delete and use presence.
   */
  authorizer?: Authorizer;
  /** Authorization rules (CONFIG_FILE's `collections`): deny by default, owners, grants, admins. */
  rules?: AccessRules;
  /** Default: `createValidator()`, the per-type op validation (pass `createValidator({ schemas })` for JSON Schemas). */
  validator?: Validator;
  /** Origins allowed for browsers. Default: localhost / 127.0.0.1 on any port. */
  origins?: OriginRule;
  /** Take client addresses from `X-Forwarded-For`. Default false. */
  trustProxy?: boolean;
  /** Limits; each defaults to the shared `DEFAULT_LIMITS`. */
  limits?: Partial<TransportLimits>;
  /** Default: silent. */
  logger?: Logger;
  /** Op-log retention per collection (`{ policies: { notes: { keepVersions: 1000 } } }`); default: keep every op. */
  retention?: RetentionOptions;
  /**
   * Opt-in `/metrics` on the router (Prometheus). `token`: required as a bearer token when set; `collections`:
   * the collection names used as labels (others are `other`).
   */
  metrics?: { token?: string; collections?: readonly string[] };
  /** Documents one user may own, per collection name (or `*`). Needs a storage with an access store. */
  quotas?: Readonly<Record<string, number>>;
  /** Opt-in `/admin` live status page (its data needs a principal with role `admin`). */
  admin?: boolean;
}

export interface TransportLimits {
  /** Largest WebSocket message (1009 beyond it) and REST body (413). */
  maxMessageBytes: number;
  /** Ops per second per connection before its messages are read more slowly; 0 = unlimited. */
  opsPerSec: number;
  /** Presence updates per second per connection before reading slows; 0 = unlimited. */
  presencePerSec: number;
  maxBufferedBytes: number;
  maxJsonDepth: number;
  heartbeatMs: number;
  authDeadlineMs: number;
  connectionsPerIp: number;
  /** Requests to `/api` per second per client address, averaged over 10 s (429 beyond); 0 = unlimited. */
  restPerSec: number;
}

export interface CollabServer {
  /** The ShareDB backend, for server-side `backend.connect()` and custom middleware. */
  readonly backend: ShareDB;
  readonly engine: Engine;
  /** Promise-based document operations as a session (what the REST routes use). */
  readonly docs: DocService;
  /** Mount on the host app: serves `/api`, `/healthz`, `/readyz`. */
  readonly router: Router;
  /** Serves WebSocket upgrades on `path` (default `/ws`) of an HTTP server. */
  attach(server: Server, options?: { path?: string }): void;
  /** Open WebSocket connections. */
  readonly connectionCount: number;
  /** Stops taking connections, closes sockets with 1001, lets in-flight commits finish, closes storage. */
  close(): Promise<void>;
}

export function createCollabServer(options: CollabServerOptions): CollabServer {
  const logger = options.logger ?? silentLogger();
  routeShareDbLogs(logger);
  const storage = options.storage ?? createMemoryStorage({ milestoneInterval: 100 });
  const authorization = createAuthorization({
    authenticated: options.auth !== 'none', storage,
    ...(options.authorizer ? { authorizer: options.authorizer } : {}), ...(options.rules ? { rules: options.rules } : {}),
  });
  const engine = new Engine({
    storage,
    pubsub: options.pubsub,
    policies: {
      authenticator: options.auth === 'none' ? allowAllAuthenticator : options.auth,
      authorizer: authorization.authorizer,
      // Ops are validated per type by default: the OT types themselves check almost nothing.
      validator: options.validator ?? createValidator(),
    },
    onError: (err) => logger.error({ err }, 'sharedb error'),
    ...(options.retention ? { retention: options.retention } : {}),
  });
  // A pub/sub that delivers at most once (Redis) lost what was published while its subscriber was away: the ops
  // missed are delivered from storage, and the presence shown is asked for again (see GapRecovery, PresenceLiveness).
  options.pubsub?.onResubscribed?.(() => {
    engine.liveness.resync();
    engine.gaps.replay().then(
      (delivered) => logger.info({ delivered }, 'pub/sub back: re-delivered ops missed during the outage'),
      (err: unknown) => logger.error({ err }, 'could not re-deliver ops missed during the pub/sub outage'));
  });
  installAccessEnforcement(engine.backend, authorization);
  installQuotas(engine.backend, engine.storage.access, options.quotas ?? {});
  // One line per rejection: who, where, at which version, why. Never the op or document content.
  engine.onSubmit((outcome) => {
    if (!outcome.error) return;
    logger.info({
      conn: outcome.src, user: outcome.session?.principal.sub, collection: outcome.collection, doc: outcome.id,
      v: outcome.v, kind: outcome.kind, code: outcome.error,
    }, 'op rejected');
  });
  const origins = options.origins ?? { kind: 'local' };
  const trustProxy = options.trustProxy ?? false;
  const limits: TransportLimits = {
    maxMessageBytes: DEFAULT_LIMITS.maxMessageBytes,
    opsPerSec: DEFAULT_LIMITS.opsPerSec,
    presencePerSec: DEFAULT_LIMITS.presencePerSec,
    maxBufferedBytes: DEFAULT_LIMITS.maxBufferedBytes,
    maxJsonDepth: DEFAULT_LIMITS.maxJsonDepth,
    heartbeatMs: DEFAULT_LIMITS.heartbeatMs,
    authDeadlineMs: DEFAULT_LIMITS.authDeadlineMs,
    connectionsPerIp: DEFAULT_LIMITS.connectionsPerIp,
    restPerSec: DEFAULT_LIMITS.restPerSec,
    ...options.limits,
  };
  const transports: WebSocketTransport[] = [];
  const connectionStats = () => transports.reduce((sum, t) => {
    const s = t.stats();
    return { count: sum.count + s.count, users: sum.users + s.users, bufferedBytes: sum.bufferedBytes + s.bufferedBytes };
  }, { count: 0, users: 0, bufferedBytes: 0 });
  const metrics = options.metrics ? new Metrics(engine, { connections: connectionStats }, options.metrics.collections) : undefined;
  const docs = new DocService(engine, authorization.access);
  let closing: Promise<void> | undefined;
  const router = collabRouter(engine, {
    origins, trustProxy, docs, maxBodyBytes: limits.maxMessageBytes, restPerSec: limits.restPerSec, acl: authorization.acl,
    stopping: () => closing !== undefined,
  }, logger);
  if (metrics) router.use(metricsRouter(metrics, options.metrics?.token));
  const liveStatus = options.admin ? new LiveStatus(engine, connectionStats) : undefined;
  if (liveStatus) router.use(adminRouter(engine, liveStatus, origins, trustProxy));
  // A failure behind /metrics or /admin/status (the authorizer, the metrics) answers like /api, not with Express's
  // HTML page. Only on those paths: a host app's own errors passing through the router are left to the host.
  router.use(['/metrics', '/admin/status'], restErrorHandler(logger));
  return {
    backend: engine.backend,
    engine,
    docs,
    router,
    attach(server, attachOptions) {
      const transport = new WebSocketTransport(engine, {
        ...limits, path: attachOptions?.path ?? DEFAULT_WS_PATH, trustProxy, origins,
        ...(metrics ? { onSlowed: (kind: string) => metrics.slowdowns.inc({ kind }) } : {}),
      }, logger);
      transport.attach(server);
      transports.push(transport);
    },
    get connectionCount() {
      return transports.reduce((sum, t) => sum + t.connectionCount, 0);
    },
    close() {
      closing ??= (async () => {
        liveStatus?.stop();
        await Promise.all(transports.map((transport) => transport.close()));
        await engine.close();
      })();
      return closing;
    },
  };
}

/**
 * ShareDB logs through one process-wide logger (it prints the stack of every error it replies with at `info`).
 * Routing it into ours keeps logs structured; with several servers in one process, the last one created wins.
 */
function routeShareDbLogs(logger: Logger): void {
  const shareDbLogger = (ShareDBModule as unknown as { logger: { setMethods(m: Record<string, (...a: unknown[]) => void>): void } }).logger;
  // Only strings and error messages pass: ShareDB also logs ops and snapshots, which hold document content.
  const text = (args: unknown[]): string => args
    .map((a) => (typeof a === 'string' ? a : a instanceof Error ? `${a.name}: ${(a as { code?: string }).code ?? ''}` : ''))
    .filter(Boolean).join(' ').slice(0, 500);
  shareDbLogger.setMethods({
    info: (...args) => logger.debug({ sharedb: text(args) }, 'sharedb'),
    warn: (...args) => logger.warn({ sharedb: text(args) }, 'sharedb'),
    error: (...args) => logger.error({ sharedb: text(args) }, 'sharedb'),
  });
}
