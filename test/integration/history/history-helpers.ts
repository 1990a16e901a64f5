/** Helpers of the history tests: servers over memory or SQLite storage, documents with many versions, REST calls. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { Connection, Doc } from 'sharedb/lib/client/index.js';
import { createMemoryStorage, createSqliteStorage, type CollabServerOptions, type Storage } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { call } from '../../helpers/stock-client.js';

export type Kind = 'memory' | 'sqlite';

export interface HistoryServer extends TestServer {
  readonly storage: Storage;
  req(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** Allows everything, purge included (the development rules let nobody but admin purge). */
export const allowAll = { authorize: async () => true };

export async function startHistoryServer(kind: Kind, milestoneInterval: number,
  options: Partial<CollabServerOptions> = {}): Promise<HistoryServer> {
  let dir: string | undefined;
  const storage = kind === 'memory' ? createMemoryStorage({ milestoneInterval })
    : createSqliteStorage({ dataDir: (dir = mkdtempSync(join(tmpdir(), 'concord-history-'))), milestoneInterval });
  const server = await startTestServer({ storage, authorizer: allowAll, ...options });
  return {
    ...server,
    storage,
    async req(method, path, body) {
      const init: RequestInit = { method };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers = { 'content-type': 'application/json' };
      }
      const res = await fetch(server.httpUrl + path, init);
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await server.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates `collection/id` as json0 `{n: 0}` and commits single-version increments up to version `versions`. */
export async function makeDoc(server: HistoryServer, collection: string, id: string, versions: number): Promise<void> {
  const created = await server.req('POST', `/api/docs/${collection}/${id}`, { type: 'json0', data: { n: 0 } });
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  await addOps(server, collection, id, versions - created.body.v);
}

export async function addOps(server: HistoryServer, collection: string, id: string, count: number): Promise<void> {
  const connection = server.collab.engine.connect();
  const doc = connection.get(collection, id);
  await call((cb) => doc.fetch(cb));
  for (let i = 0; i < count; i++) await call((cb) => doc.submitOp([{ p: ['n'], na: 1 }], cb as never));
  connection.close();
}

/** A stock client whose socket can be dropped and re-bound, keeping its docs and pending ops. */
export function stockConnection(wsUrl: string, ShareDBClient: { Connection: new (socket: never) => Connection }) {
  const open = (): WebSocket => {
    const socket = new WebSocket(wsUrl);
    socket.on('error', () => undefined);
    return socket;
  };
  let socket = open();
  const connection = new ShareDBClient.Connection(socket as never);
  connection.on('error', () => undefined);
  return {
    connection,
    drop: () => new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.close();
    }),
    reconnect: () => {
      socket = open();
      (connection as unknown as { bindToSocket(s: unknown): void }).bindToSocket(socket);
    },
    close: () => connection.close(),
  };
}

/** Submits an op and resolves with the error it ends with (undefined when acknowledged). */
export function submitOutcome(doc: Doc, op: unknown): Promise<{ code?: string; message?: string } | undefined> {
  return new Promise((resolve) => doc.submitOp(op as never, {}, ((err?: { code?: string; message?: string }) => resolve(err)) as never));
}
