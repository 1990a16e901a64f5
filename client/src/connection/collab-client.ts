/**
 * CollabClient: ShareDB's client connection over a reconnecting WebSocket that obeys the contract's close codes.
 *
 * Lifecycle: `connect(options)` builds one and starts at once. Before every connection attempt it waits the delay
 * the ReconnectPolicy chose and asks the token source for a token; when the socket opens it sends the in-band
 * `{"a":"auth","token"}` first and only then lets ShareDB handshake. `close()` (or `connection.close()`) stops for
 * good; so do the close codes that forbid reconnecting, and a failed re-authentication (state `unauthenticated`).
 *
 * Events (`on(event, fn)` returns a function that removes the listener):
 * - `status` ({state, pending}) whenever the state or the number of unacknowledged edits changes;
 * - `error` (Error) for whatever goes wrong: stopping close codes, token failures, errors of ShareDB's connection
 *   and of every doc it hands out. Nothing the client owns ever emits an unhandled 'error'.
 */
import ShareDBClient from 'sharedb/lib/client/index.js';
import type { Connection, Doc } from 'sharedb/lib/client/index.js';
import rws from 'reconnecting-websocket';
import { registerTypes, type AuthMessage, type TypeRegistry } from '@concord/shared';
import { resolveBackoff, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { ReconnectPolicy, type CloseDecision } from './reconnect-policy.js';
import { ShareDbSocket } from './sharedb-socket.js';
import { Sleeper } from './sleeper.js';
import { pendingOnConnection, sameStatus, type ClientState, type ConnectionStatus } from './status.js';
import { fetchToken, type TokenSource } from './token.js';
import { Heartbeat } from './heartbeat.js';
import { asError } from './errors.js';
import { settleAll, settleFromNowOn } from './pending-requests.js';
import { guardUnsubscribeAnswers } from './unsubscribe-guard.js';
import { guardListeners } from '../docs/listener-guard.js';

/** A WebSocket class: the browser's, Node 22's global one, or `WebSocket` from the `ws` package. */
export interface WebSocketConstructor {
  new (url: string, protocols?: string | string[]): object;
  readonly CLOSING: number;
}

export interface ConnectOptions {
  /** WebSocket URL of the server, for example `wss://example.com/ws`. */
  url: string;
  /** A bearer token, or an async function giving one, called before every (re)connect. Default: no token. */
  token?: TokenSource;
  /** WebSocket implementation. Default `globalThis.WebSocket`; Node 20 has none, pass `WebSocket` from `ws`. */
  WebSocket?: WebSocketConstructor;
  /** Reconnect delays. Default: 500 ms doubling up to 15 s, each with jitter. */
  backoff?: Partial<BackoffOptions>;
  /** Time a socket has to open before the attempt counts as failed, in ms. Default 10 000. */
  connectTimeoutMs?: number;
  /**
   * While online: after this long without a message from the server a ping is sent, and after as long again
   * without an answer the connection is dropped and re-established. Detects networks that die without closing.
   * In ms; default 10 000; 0 turns it off.
   */
  heartbeatMs?: number;
  /**
   * While edits await their ack: after this long without a message from the server a ping is sent, and after as
   * long again the connection is dropped and re-established (the status leaves "online" within twice this). In ms;
   * default 3 000; 0 turns it off (as does `heartbeatMs: 0`).
   */
  ackTimeoutMs?: number;
  /**
   * The server's MAX_MESSAGE_BYTES. An edit whose message would be larger is not sent (the server would close the
   * connection for it) but refused at once with ERR_MESSAGE_TOO_BIG, as the server refuses an op. Default 1 MiB.
   */
  maxMessageBytes?: number;
}

export type ClientEvents = {
  status: (status: ConnectionStatus) => void;
  error: (error: Error) => void;
};

interface CloseEventLike {
  code: number;
  reason: string;
}

type ReconnectingWebSocketClass = typeof rws.default;
type ReconnectingWebSocket = InstanceType<ReconnectingWebSocketClass>;
// TypeScript types this CommonJS default import as its namespace; Node hands over `module.exports` (the class) and
// bundlers the ESM build's default export. Take whichever arrived.
const ReconnectingWebSocketImpl = ((rws as unknown as { default?: ReconnectingWebSocketClass }).default ??
  rws) as unknown as ReconnectingWebSocketClass;
type Reconnect = Extract<CloseDecision, { kind: 'reconnect' }>;

export class CollabClient {
  /** ShareDB's client connection: `connection.get(collection, id)` gives documents. */
  readonly connection: Connection;
  private readonly url: string;
  private readonly tokenSource: TokenSource | undefined;
  private readonly events = new Emitter<ClientEvents>();
  private readonly policy: ReconnectPolicy;
  private readonly sleeper = new Sleeper();
  private readonly adapter: ShareDbSocket;
  private readonly socket: ReconnectingWebSocket;
  private readonly heartbeat: Heartbeat;
  private readonly docs = new Map<Doc, () => void>();
  private plan: Reconnect = { kind: 'reconnect', delayMs: 0, reauth: false };
  private token: string | undefined;
  private terminal: 'closed' | 'unauthenticated' | undefined;
  private everOnline = false;
  private lastStatus: ConnectionStatus = { state: 'connecting', pending: 0 };
  private statusScheduled = false;

  constructor(options: ConnectOptions) {
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketImpl) throw new TypeError('no WebSocket implementation: pass `WebSocket` (from the ws package in Node)');
    registerTypes(ShareDBClient.types as unknown as TypeRegistry);
    this.url = options.url;
    this.tokenSource = options.token;
    this.policy = new ReconnectPolicy(resolveBackoff(options.backoff));
    this.heartbeat = new Heartbeat(options.heartbeatMs ?? 10_000, {
      // ShareDB throws when asked to ping while it cannot send.
      ping: () => this.connection.canSend && this.connection.ping(),
      dead: () => this.socket.reconnect(4000, 'heartbeat timeout'),
      awaitingAcks: () => pendingOnConnection(this.connection) > 0,
    }, options.ackTimeoutMs ?? 3_000);
    this.socket = new ReconnectingWebSocketImpl(() => this.nextUrl(), undefined, {
      WebSocket: WebSocketImpl,
      // Nothing may be queued while closed: the first frame of a connection must be the auth message, and ShareDB
      // resends what it needs (handshake, subscriptions, unacknowledged ops) itself once connected.
      maxEnqueuedMessages: 0,
      // The delays are the policy's (see nextUrl): the library's own backoff is turned off.
      minReconnectionDelay: 0,
      maxReconnectionDelay: 0,
      reconnectionDelayGrowFactor: 1,
      connectionTimeout: options.connectTimeoutMs ?? 10_000,
    });
    this.adapter = new ShareDbSocket({
      readyState: () => this.socket.readyState,
      send: (data) => {
        this.socket.send(data);
        if (data.startsWith('{"a":"op"')) this.heartbeat.sentEdit();
      },
      close: () => this.close(),
    }, options.maxMessageBytes);
    this.listenToSocket();
    this.connection = new ShareDBClient.Connection(this.adapter as never) as Connection;
    this.listenToConnection();
  }

  /** The current state and the number of edits not yet acknowledged. */
  get status(): ConnectionStatus {
    const pending = pendingOnConnection(this.connection);
    return { state: this.currentState(), pending };
  }

  on<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): () => void {
    return this.events.on(event, listener);
  }

  /**
   * Stops for good: closes the socket, cancels pending reconnects. Unacknowledged edits stay unsent; their callbacks,
   * and those of fetches and subscribes still waiting, are called with ERR_CONNECTION_CLOSED.
   */
  close(): void {
    this.finish('closed', 'closed');
  }

  private currentState(): ClientState {
    if (this.terminal) return this.terminal;
    if (this.connection.state === 'connected') return 'online';
    return this.everOnline ? 'offline' : 'connecting';
  }

  private listenToSocket(): void {
    this.socket.addEventListener('open', (event: unknown) => {
      if (this.token !== undefined) {
        const auth: AuthMessage = { a: 'auth', token: this.token };
        this.socket.send(JSON.stringify(auth));
      }
      this.adapter.onopen?.(event);
    });
    this.socket.addEventListener('message', (event: { data: unknown }) => {
      this.heartbeat.heard();
      this.adapter.onmessage?.(event);
    });
    this.socket.addEventListener('error', (event: unknown) => this.adapter.onerror?.(event));
    this.socket.addEventListener('close', (event: CloseEventLike) => this.onSocketClose(event));
  }

  private onSocketClose(event: CloseEventLike): void {
    if (this.terminal) return;
    this.heartbeat.stop();
    const decision = this.policy.closed(event.code, event.reason ?? '');
    if (decision.kind !== 'reconnect') return this.giveUp(decision);
    this.plan = decision;
    this.adapter.onclose?.({ code: event.code, reason: event.reason ?? '' });
    this.scheduleStatus();
  }

  private listenToConnection(): void {
    const { connection } = this;
    connection.on('error', (err) => this.events.emit('error', asError(err)));
    connection.on('connected', () => {
      this.policy.online();
      this.everOnline = true;
      this.heartbeat.start();
    });
    for (const event of ['state', 'send', 'receive'] as const) connection.on(event, () => this.scheduleStatus());
    connection.on('doc', (doc) => this.track(doc));
  }

  /**
   * Docs report errors to the client's listeners and their edits to the pending count. An exception from one of a
   * doc's op listeners is reported too, instead of reaching ShareDB, which would throw away the doc's unacknowledged
   * edits (see listener-guard.ts).
   */
  private track(doc: Doc): void {
    const onError = (err: unknown): void => this.events.emit('error', asError(err));
    const onChange = (): void => this.scheduleStatus();
    const changes = ['op', 'create', 'del', 'load', 'no write pending'] as const;
    doc.on('error', onError);
    for (const event of changes) doc.on(event, onChange);
    const unguard = guardListeners(doc, onError);
    guardUnsubscribeAnswers(doc);
    const untrack = (): void => {
      unguard();
      doc.off('error', onError);
      for (const event of changes) doc.off(event, onChange);
      doc.off('destroy', untrack);
      this.docs.delete(doc);
    };
    doc.on('destroy', untrack);
    this.docs.set(doc, untrack);
  }

  /** The URL provider of the reconnecting socket: waits the planned delay and gets a token first. Never rejects. */
  private async nextUrl(): Promise<string> {
    await this.sleeper.sleep(this.plan.delayMs);
    if (!this.terminal && this.tokenSource !== undefined) await this.refreshToken(this.tokenSource);
    return this.url;
  }

  private async refreshToken(source: TokenSource): Promise<void> {
    for (;;) {
      try {
        this.token = await fetchToken(source);
        return;
      } catch (err) {
        this.events.emit('error', asError(err));
        const decision = this.policy.tokenFailed(err);
        if (decision.kind !== 'reconnect') return this.giveUp(decision);
        await this.sleeper.sleep(decision.delayMs);
        if (this.terminal) return;
      }
    }
  }

  private giveUp(decision: Exclude<CloseDecision, { kind: 'reconnect' }>): void {
    const state = decision.kind === 'stop' ? 'closed' : 'unauthenticated';
    this.finish(state, 'stopped', decision.error);
  }

  private finish(state: 'closed' | 'unauthenticated', reason: 'closed' | 'stopped', error?: Error): void {
    if (this.terminal) return;
    this.terminal = state;
    this.heartbeat.stop();
    this.sleeper.cancelAll();
    this.socket.close(1000, 'closed');
    this.adapter.onclose?.(reason);
    settleAll(this.connection);
    settleFromNowOn(this.connection);
    for (const untrack of [...this.docs.values()]) untrack();
    if (error) this.events.emit('error', error);
    this.emitStatus();
  }

  private scheduleStatus(): void {
    if (this.statusScheduled) return;
    this.statusScheduled = true;
    queueMicrotask(() => {
      this.statusScheduled = false;
      this.emitStatus();
    });
  }

  private emitStatus(): void {
    const status = this.status;
    if (sameStatus(status, this.lastStatus)) return;
    this.lastStatus = status;
    this.events.emit('status', status);
  }
}

/** Connects to a Concord server; see CollabClient. */
export function connect(options: ConnectOptions): CollabClient {
  return new CollabClient(options);
}

