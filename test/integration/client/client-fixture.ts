/**
 * What the client integration tests share: a list of things to close after each test (register `runCleanup` with
 * `afterEach`), servers, proxies and connect() clients that record their errors, fresh document ids, the server's
 * view of a document, and typing into a text document.
 */
import WebSocket from 'ws';
import type { Doc } from 'sharedb/lib/client/index.js';
import { connect, type CollabClient, type ConnectOptions } from '@concord/client';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { TcpProxy } from './tcp-proxy.js';

export const cleanup: Array<() => unknown> = [];

/** Closes what the test registered, last first. */
export async function runCleanup(): Promise<void> {
  for (const fn of cleanup.splice(0).reverse()) await fn();
}

/** A server (the library in Express, port 0), closed after the test. */
export async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer(options);
  cleanup.push(() => s.close());
  return s;
}

/** A TCP proxy in front of `s` that plays the network, closed after the test. */
export async function proxyTo(s: TestServer): Promise<TcpProxy> {
  const proxy = await TcpProxy.start(s.httpUrl);
  cleanup.push(() => proxy.close());
  return proxy;
}

/** A client of `url` with short reconnect delays, closed after the test; `errors` collects its 'error' events. */
export function client(url: string, options: Partial<ConnectOptions> = {}): { c: CollabClient; errors: Error[] } {
  const c = connect({ url, WebSocket, backoff: { initialMs: 50, maxMs: 500, factor: 2 }, ...options });
  const errors: Error[] = [];
  c.on('error', (err) => errors.push(err));
  cleanup.push(() => c.close());
  return { c, errors };
}

let n = 0;
export const docId = (): string => `doc-${process.pid}-${Date.now()}-${n++}`;

/** The document as the server has it, read over an in-process connection. */
export async function serverDoc<T = unknown>(s: TestServer, collection: string, id: string): Promise<{ v: number; data: T }> {
  const connection = s.collab.engine.connect();
  try {
    const doc = connection.get(collection, id);
    await new Promise<void>((resolve, reject) => doc.fetch((err) => (err ? reject(err) : resolve())));
    return { v: doc.version ?? -1, data: doc.data as T };
  } finally {
    connection.close();
  }
}

/** Inserts `text` at `at` into a text-unicode document. */
export function type(doc: Doc<string>, at: number, text: string): void {
  doc.submitOp([at, text].filter((c) => c !== 0), { source: 'test' });
}
