/**
 * An in-memory WebSocket for driving the client's connection logic without a network: the test plays the server
 * (`open`, `handshake`, `serverClose`, `fail`) and reads what the client sent.
 */
type Listener = (event: unknown) => void;

export interface FakeNetwork {
  /** Pass as `WebSocket` to `connect()`. */
  readonly WebSocket: { new (url: string): FakeWebSocket; readonly CLOSING: number };
  /** Every socket the client created, oldest first. */
  readonly sockets: FakeWebSocket[];
  /** Creation times (Date.now()) of the sockets. */
  readonly createdAt: number[];
  latest(): FakeWebSocket;
}

export class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  readonly url: string;
  readyState = 0;
  binaryType = 'blob';
  bufferedAmount = 0;
  readonly sent: string[] = [];
  /** The close the client asked for, if it did. */
  clientClose: { code: number; reason: string } | undefined;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(url: string) {
    this.url = url;
  }

  addEventListener(type: string, listener: Listener): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)?.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(data);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState >= 2) return;
    this.clientClose = { code, reason };
    this.readyState = 2;
    queueMicrotask(() => this.finishClose(code, reason));
  }

  /** Messages the client sent, parsed. */
  messages(): Array<Record<string, unknown>> {
    return this.sent.map((data) => JSON.parse(data) as Record<string, unknown>);
  }

  // ---- the server's side ----

  open(): void {
    this.readyState = 1;
    this.dispatch('open', { type: 'open' });
  }

  /** Answers ShareDB's handshake, which brings the client online. */
  handshake(id = 'fake-client'): void {
    this.receive({ a: 'hs', protocol: 1, protocolMinor: 2, id, type: 'http://sharejs.org/types/JSONv0' });
  }

  receive(message: object): void {
    this.dispatch('message', { type: 'message', data: JSON.stringify(message) });
  }

  serverClose(code: number, reason = ''): void {
    this.finishClose(code, reason);
  }

  /** A connection that could not be established or was lost: 'error', then a 1006 close. */
  fail(): void {
    this.dispatch('error', { type: 'error', message: 'connection failed' });
    this.finishClose(1006, '');
  }

  private finishClose(code: number, reason: string): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.dispatch('close', { type: 'close', code, reason, wasClean: code !== 1006 });
  }

  private dispatch(type: string, event: object): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener(event);
  }
}

export function fakeNetwork(): FakeNetwork {
  const sockets: FakeWebSocket[] = [];
  const createdAt: number[] = [];
  class Tracked extends FakeWebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
      createdAt.push(Date.now());
    }
  }
  return {
    WebSocket: Tracked,
    sockets,
    createdAt,
    latest() {
      const socket = sockets[sockets.length - 1];
      if (!socket) throw new Error('no socket yet');
      return socket;
    },
  };
}
