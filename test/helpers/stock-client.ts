/** The reference client: ShareDB's stock client over the `ws` package, with Concord's types registered. */
import WebSocket from 'ws';
import ShareDBClient from 'sharedb/lib/client/index.js';
import type { Connection, Doc } from 'sharedb/lib/client/index.js';
import { registerTypes, type TypeRegistry } from '@concord/shared';

registerTypes(ShareDBClient.types as unknown as TypeRegistry);

export interface StockClient {
  readonly socket: WebSocket;
  readonly connection: Connection;
  /** Resolves with the close code once the socket closes. */
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

/** Connects a stock client; resolves once the socket is open. */
export async function connectStock(wsUrl: string, options: { headers?: Record<string, string> } = {}): Promise<StockClient> {
  const socket = new WebSocket(wsUrl, { headers: options.headers });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  socket.on('error', () => undefined);
  const connection = new ShareDBClient.Connection(socket as never) as Connection;
  connection.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return { socket, connection, closed, close: () => connection.close() };
}

/** Promisified doc calls. */
export function call<T = void>(fn: (cb: (err?: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
}

export function subscribe(doc: Doc): Promise<void> {
  return call((cb) => doc.subscribe(cb));
}

export function submit(doc: Doc, op: unknown): Promise<void> {
  return call((cb) => doc.submitOp(op as never, {}, cb as never));
}

export function create(doc: Doc, data: unknown, type: string): Promise<void> {
  return call((cb) => doc.create(data as never, type, cb));
}
