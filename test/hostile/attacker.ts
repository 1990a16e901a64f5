/**
 * A hostile peer over a raw `ws` socket: sends any frame or ShareDB message and reports what came back (an error
 * code, `ok`, or how the socket was closed). Also upgrade probes that report the HTTP status of a refused upgrade.
 */
import WebSocket, { type ClientOptions } from 'ws';
import { handshake, openRaw, type Message, type RawSocket } from '../integration/transport/raw-socket.js';
import { within } from './case.js';

export type { Message, RawSocket };

const TYPE_URIS: Record<string, string> = {
  json0: 'http://sharejs.org/types/JSONv0',
};

export class Attacker {
  id = '';
  /** The message of the last error reply this peer received (for the summary line). */
  lastError: string | undefined;
  private seq = 0;
  private requestId = 0;
  private readonly waiters = new Set<{ match: (m: Message) => boolean; resolve: (m: Message) => void }>();
  constructor(readonly raw: RawSocket) {
    // Event-driven matching (raw's own listener, registered first, has already stored the message): a flood of
    // thousands of outstanding requests must not poll.
    raw.socket.on('message', () => {
      const message = raw.messages[raw.messages.length - 1];
      if (message === undefined) return;
      const error = message['error'] as { message?: unknown } | undefined;
      if (error !== undefined) this.lastError = String(error.message).slice(0, 120);
      for (const waiter of this.waiters) {
        if (waiter.match(message)) {
          this.waiters.delete(waiter);
          waiter.resolve(message);
        }
      }
    });
  }

  /** Resolves with the first message from index `from` on matching `match`. */
  waitFor(match: (m: Message) => boolean, from = 0, timeoutMs = 10_000): Promise<Message> {
    const found = this.raw.messages.slice(from).find(match);
    if (found) return Promise.resolve(found);
    return within(new Promise<Message>((resolve) => this.waiters.add({ match, resolve })), timeoutMs, 'a reply');
  }

  static async open(wsUrl: string, token: string, options: ClientOptions = {}): Promise<Attacker> {
    const raw = await openRaw(wsUrl, { ...options, headers: { authorization: `Bearer ${token}`, ...options.headers } });
    const attacker = new Attacker(raw);
    attacker.id = (await handshake(raw))['id'] as string;
    return attacker;
  }

  send(message: unknown): void {
    this.raw.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends `message` and resolves with the first reply matching `match`. */
  async request(message: unknown, match: (m: Message) => boolean, timeoutMs = 10_000): Promise<Message> {
    const from = this.raw.messages.length;
    this.send(message);
    return this.waitFor(match, from, timeoutMs);
  }

  nextSeq(): number {
    return ++this.seq;
  }

  nextRequestId(): number {
    return ++this.requestId;
  }

  /** Submits an op message (own src unless given) and resolves with its error code or `ok`. */
  async submit(fields: Record<string, unknown>): Promise<string> {
    const seq = typeof fields['seq'] === 'number' ? fields['seq'] : this.nextSeq();
    const reply = await this.request({ a: 'op', src: this.id, ...fields, seq },
      (m) => m['a'] === 'op' && m['seq'] === seq && m['c'] === fields['c'] && m['d'] === fields['d']);
    return codeOf(reply);
  }

  edit(collection: string, id: string, v: number, op: unknown): Promise<string> {
    return this.submit({ c: collection, d: id, v, op });
  }

  create(collection: string, id: string, type: string, data: unknown): Promise<string> {
    return this.submit({ c: collection, d: id, v: null, create: { type: TYPE_URIS[type] ?? type, data } });
  }

  /** Sends `message` with a fresh numeric `id` and resolves with the reply's error code or `ok`. */
  async query(message: Record<string, unknown>): Promise<{ code: string; reply: Message }> {
    const id = this.nextRequestId();
    const reply = await this.request({ ...message, id }, (m) => m['a'] === message['a'] && m['id'] === id);
    return { code: codeOf(reply), reply };
  }

  /** Resolves with `<close code> <reason>` once the server closed the socket (within `ms`). */
  async closedWithReason(ms = 15_000): Promise<string> {
    const { code, reason } = await within(this.raw.closed, ms, 'the server to close the socket');
    return `${code} ${reason}`;
  }

  /** Resolves with the close code once the server closed the socket (within `ms`). */
  async closedWith(ms = 15_000): Promise<number> {
    return (await within(this.raw.closed, ms, 'the server to close the socket')).code;
  }

  close(): void {
    this.raw.socket.terminate();
  }
}

/** `ok`, or the `code` of a ShareDB error reply. */
export function codeOf(reply: Message): string {
  const error = reply['error'] as { code?: unknown } | undefined;
  return error === undefined ? 'ok' : String(error.code);
}

/**
 * Opens a socket without a handshake and resolves with what happened: `open` (the socket stays open), the HTTP
 * status of a refused upgrade, or the close code when the server closed it after `then` ran.
 */
export async function probeUpgrade(url: string, headers: Record<string, string> = {},
  then?: (socket: WebSocket) => void, waitMs = 15_000): Promise<number | 'open'> {
  const socket = new WebSocket(url, { headers });
  socket.on('error', () => undefined);
  const outcome = await within(new Promise<number | 'open'>((resolve) => {
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      socket.terminate();
    });
    socket.once('open', () => resolve('open'));
  }), 10_000, 'the upgrade answer');
  if (outcome !== 'open') return outcome;
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  then?.(socket);
  const settled = await Promise.race([closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), waitMs))]);
  socket.terminate();
  return settled;
}

/** HTTP JSON helper: status and parsed body. */
export async function http(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body };
}

/** `ERR_*` of a REST error body, else the status. */
export function restCode(res: { status: number; body: Record<string, unknown> }): string | number {
  const error = res.body['error'] as { code?: string } | undefined;
  return error?.code ?? res.status;
}
