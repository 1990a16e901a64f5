/**
 * Several standalone server processes (`node server/dist/main.js`) sharing one DATA_DIR (SQLite, WAL) and one
 * Redis, with JWT authentication so that every client is a distinct user: presence is stamped with real users and a
 * resumed connection id is checked against its principal, also on another instance. Plus the HTTP and client
 * helpers the multi-process tests share.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import WebSocket from 'ws';
import { startChildServer, type ChildServer } from '../../helpers/child-server.js';
import { connectStock, type StockClient } from '../../helpers/stock-client.js';
import { signTestToken, TEST_SECRET } from '../../integration/client/jwt.js';
import { RedisServer } from './redis.js';

export { TEST_SECRET };

export interface Instance {
  readonly index: number;
  readonly child: ChildServer;
  readonly httpUrl: string;
  readonly wsUrl: string;
}

export interface Cluster {
  readonly dataDir: string;
  readonly instances: Instance[];
  /** True when the process has not exited. */
  alive(instance: Instance): boolean;
  /** SIGKILL of every process still running, then the data folder removed. */
  stop(): Promise<void>;
}

/**
 * What one multi-process test starts, stopped after each test (registers the `afterEach`): the clients it pushes to
 * `clients`, then its cluster, then its Redis.
 */
export function clusterLifecycle(): {
  readonly clients: StockClient[];
  start(count: number, env?: Record<string, string>): Promise<{ redis: RedisServer; cluster: Cluster }>;
} {
  const clients: StockClient[] = [];
  let redis: RedisServer | undefined;
  let cluster: Cluster | undefined;
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await cluster?.stop();
    await redis?.stop();
    cluster = undefined;
    redis = undefined;
  });
  return {
    clients,
    async start(count, env = {}) {
      redis = await RedisServer.start();
      cluster = await startCluster(count, redis.url, env);
      return { redis, cluster };
    },
  };
}

/** Starts `count` instances one after another (the first one creates the SQLite schema). */
export async function startCluster(count: number, redisUrl: string, env: Record<string, string> = {}): Promise<Cluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'concord-mp-data-'));
  const instances: Instance[] = [];
  const stop = async (): Promise<void> => {
    for (const { child } of instances) {
      if (child.process.exitCode === null && child.process.signalCode === null) child.kill('SIGKILL');
      await child.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < count; index++) {
      const child = await startChildServer({
        STORAGE: 'sqlite', DATA_DIR: dataDir, REDIS_URL: redisUrl, AUTH_JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'warn', ...env,
      }, 30_000);
      instances.push({ index, child, httpUrl: child.httpUrl, wsUrl: child.wsUrl });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    dataDir,
    instances,
    alive: (instance) => instance.child.process.exitCode === null && instance.child.process.signalCode === null,
    stop,
  };
}

export function tokenFor(sub: string): string {
  return signTestToken({ sub, name: `User ${sub}`, roles: ['admin'] });
}

export function authHeaders(sub: string): Record<string, string> {
  return { Authorization: `Bearer ${tokenFor(sub)}` };
}

/** A stock ShareDB client on `instance`, authenticated as `sub`. */
export function connectAs(instance: Instance, sub: string): Promise<StockClient> {
  return connectStock(instance.wsUrl, { headers: authHeaders(sub) });
}

/**
 * Moves a stock client whose socket died to another instance: a new socket bound to the same ShareDB Connection,
 * which then resumes its connection id in the handshake and resends its in-flight and pending ops.
 */
export function rebind(client: StockClient, instance: Instance, sub: string): Promise<WebSocket> {
  const socket = new WebSocket(instance.wsUrl, { headers: authHeaders(sub) });
  socket.on('error', () => undefined);
  (client.connection as unknown as { bindToSocket(socket: unknown): void }).bindToSocket(socket);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

export interface StoredDoc {
  v: number;
  type: string;
  data: unknown;
}

const READER = 'reader';

/** The stored document, read over REST from `instance`. */
export async function getDoc(instance: Instance, collection: string, id: string): Promise<StoredDoc> {
  const res = await fetch(`${instance.httpUrl}/api/docs/${collection}/${id}`, {
    headers: authHeaders(READER), signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`GET ${collection}/${id}: ${res.status} ${await res.text()}`);
  return (await res.json()) as StoredDoc;
}

export interface StoredOp {
  v: number;
  op?: unknown;
  create?: unknown;
  del?: boolean;
  src: string;
  seq: number;
}

/** The whole op log of a document over REST (paged). */
export async function getOps(instance: Instance, collection: string, id: string): Promise<StoredOp[]> {
  const ops: StoredOp[] = [];
  let from = 0;
  for (;;) {
    const res = await fetch(`${instance.httpUrl}/api/docs/${collection}/${id}/ops?from=${from}`, {
      headers: authHeaders(READER), signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`GET ${collection}/${id}/ops: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { ops: StoredOp[]; next?: number };
    ops.push(...page.ops);
    if (page.next === undefined || page.next === null || page.ops.length === 0) return ops;
    from = page.next;
  }
}

/** `/readyz` of an instance: status code and body (undefined when it does not answer). */
export async function readyz(instance: Instance): Promise<{ status: number; body: unknown } | undefined> {
  try {
    const res = await fetch(`${instance.httpUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, body: await res.json() };
  } catch {
    return undefined;
  }
}

/** Output lines of a server process that report a crash: pino fatal, or an uncaught / unhandled error. */
export function crashLines(output: string): string[] {
  return output.split('\n').filter((line) => /"level":60/.test(line) || /\b(Unhandled|Uncaught)\b/.test(line));
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Plain JSON, so a client's Delta instance and the stored snapshot compare by content. */
export function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}
