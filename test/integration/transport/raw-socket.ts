/**
 * A raw `ws` client for transport tests: sends arbitrary frames, records every JSON message the server sends and
 * how the socket closed. No ShareDB client logic, so it can misbehave on purpose.
 */
import type { Socket } from 'node:net';
import WebSocket, { type ClientOptions } from 'ws';
import { waitFor } from '../../helpers/wait-for.js';

export type Message = Record<string, unknown>;

export interface RawSocket {
  readonly socket: WebSocket;
  /** Every text frame received, parsed (frames that are not JSON are kept as `{raw}`). */
  readonly messages: Message[];
  /** Resolves with the close code and reason once the socket has closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** True once 'close' fired. */
  isClosed(): boolean;
  send(frame: string | Buffer, options?: { binary?: boolean }): void;
  /** Resolves with the first message (received so far or later) matching `match`. */
  next(match: (message: Message) => boolean, what: string, timeoutMs?: number): Promise<Message>;
  /** The underlying TCP socket (to pause reading, as a slow consumer would). */
  tcp(): Socket;
}

export async function openRaw(url: string, options: ClientOptions = {}): Promise<RawSocket> {
  const socket = new WebSocket(url, options);
  const messages: Message[] = [];
  let closedFlag = false;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => {
      closedFlag = true;
      resolve({ code, reason: reason.toString() });
    }));
  socket.on('error', () => undefined);
  socket.on('message', (data, isBinary) => {
    if (isBinary) return void messages.push({ binary: true });
    const text = data.toString();
    try {
      messages.push(JSON.parse(text) as Message);
    } catch {
      messages.push({ raw: text });
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return {
    socket,
    messages,
    closed,
    isClosed: () => closedFlag,
    send(frame, sendOptions = {}) {
      socket.send(frame, { binary: sendOptions.binary ?? false });
    },
    next(match, what, timeoutMs = 10_000) {
      return waitFor(what, () => messages.find(match), timeoutMs);
    },
    tcp: () => (socket as unknown as { _socket: Socket })._socket,
  };
}

/** Sends the ShareDB handshake and resolves once the server answered it. */
export async function handshake(raw: RawSocket): Promise<Message> {
  raw.send(JSON.stringify({ a: 'hs', id: null }));
  return raw.next((m) => m['a'] === 'hs', 'handshake reply');
}
