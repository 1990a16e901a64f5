/**
 * The WebSocket shell around the engine. It takes upgrades on one path of an HTTP server (and leaves every other
 * path to the host app), applies the connection policies (Origin, connections per address, authentication with
 * its deadline), then hands each socket to the engine as a JsonStream.
 *
 * Lifecycle: `attach(server)` adds an 'upgrade' listener; `close()` stops taking upgrades, closes every socket
 * with 1001 and removes the listeners. Dead peers are reaped by pings: a socket that has not answered its previous
 * ping is terminated. A connection that has sent presence is pinged every `heartbeatMs`, so that others see it leave
 * within the contract's 5 s when its network dies; one that never has (nobody waits to see it go) only every
 * QUIET_ROUNDS heartbeats, which makes many idle connections that much cheaper to hold.
 */
import { STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { ConcordError, ERRORS, isAuthMessage, type ErrorCode } from '@concord/shared';
import type { Engine } from '../../engine/engine.js';
import type { Principal, Session } from '../../engine/principal.js';
import type { Logger } from '../../observability/logger.js';
import { clientAddress } from '../client-address.js';
import { originAllowed, type OriginRule } from '../origin-policy.js';
import { JsonStream, parseMessage } from './json-stream.js';
import { tokenFromRequest, redactUrl } from './credentials.js';
import { ConnectionCounter } from './connection-counter.js';
import { ReasonedSocket } from './reasoned-socket.js';
import type { MessageKind } from './rate-gate.js';

export interface WebSocketTransportOptions {
  path: string;
  maxMessageBytes: number;
  maxBufferedBytes: number;
  maxJsonDepth: number;
  heartbeatMs: number;
  opsPerSec: number;
  presencePerSec: number;
  authDeadlineMs: number;
  connectionsPerIp: number;
  trustProxy: boolean;
  origins: OriginRule;
  /** Called when a message had to wait for its rate limit (metrics). */
  onSlowed?: (kind: MessageKind) => void;
}

/** Heartbeats between two pings of a connection that has never sent presence (at the defaults, 10 s). */
export const QUIET_ROUNDS = 5;

/** How long stopping waits for peers to answer the 1001 close before cutting them off. */
const CLOSE_GRACE_MS = 2000;
/** The longest delay setTimeout honours (2^31 - 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

interface Client {
  readonly socket: WebSocket;
  readonly stream: JsonStream;
  readonly transport: WebSocketTransport;
  readonly address: string;
  /** Frees the connection's place in its address's count. */
  readonly release: () => void;
  alive: boolean;
  /** The heartbeat round (modulo QUIET_ROUNDS) a quiet connection is pinged in: quiet pings are spread evenly. */
  readonly phase: number;
  /** Set once the connection is authenticated. */
  sub?: string;
  /** The connection id issued at open (ShareDB src), for logs. */
  conn?: string;
}

/**
 * Each socket carries its Client, so that every connection shares the same listener functions (which get the socket
 * as `this`): closures made per connection would cost every idle one.
 */
const CLIENT = Symbol('concord.client');
type ClientSocket = WebSocket & { [CLIENT]: Client };

export interface ConnectionStats {
  count: number;
  /** Distinct authenticated principals. */
  users: number;
  /** Outbound bytes queued in sockets, not yet sent. */
  bufferedBytes: number;
}

export class WebSocketTransport {
  private readonly engine: Engine;
  private readonly options: WebSocketTransportOptions;
  private readonly logger: Logger;
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly perAddress: ConnectionCounter;
  private readonly servers = new Set<Server>();
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Heartbeat rounds so far, and connections opened so far (for their phase). */
  private rounds = 0;
  private opened = 0;

  constructor(engine: Engine, options: WebSocketTransportOptions, logger: Logger) {
    this.engine = engine;
    this.options = options;
    this.logger = logger;
    this.perAddress = new ConnectionCounter(options.connectionsPerIp);
    // maxPayload makes ws close oversize messages with 1009 before they are buffered whole.
    // perMessageDeflate off: JsonStream writes its frames straight to the TCP socket, uncompressed.
    // clientTracking off: `clients` here tracks connections (ws's own set would add a listener to each).
    // ReasonedSocket: the closes ws makes itself carry the ERR_* code as their reason, as every other close does.
    this.wss = new WebSocketServer({
      noServer: true, maxPayload: options.maxMessageBytes, perMessageDeflate: false, clientTracking: false, WebSocket: ReasonedSocket,
    });
    this.heartbeat = setInterval(() => this.reapDeadPeers(), options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Connections currently open. */
  get connectionCount(): number {
    return this.clients.size;
  }

  /** Connections, distinct users and outbound bytes waiting, for metrics and /admin. */
  stats(): ConnectionStats {
    const users = new Set<string>();
    let bufferedBytes = 0;
    for (const client of this.clients) {
      if (client.sub !== undefined) users.add(client.sub);
      bufferedBytes += client.socket.bufferedAmount;
    }
    return { count: this.clients.size, users: users.size, bufferedBytes };
  }

  /** Serves WebSocket upgrades on `options.path` of this server. */
  attach(server: Server): void {
    this.servers.add(server);
    server.on('upgrade', this.onUpgrade);
  }

  /**
   * Stops taking connections and reading messages, lets the submits already in flight commit (so that their acks
   * go out before the close), then closes every open connection with 1001.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const server of this.servers) server.off('upgrade', this.onUpgrade);
    for (const client of this.clients) client.stream.stopReading();
    await this.engine.drain();
    for (const client of this.clients) client.stream.reject('ERR_SHUTTING_DOWN');
    // A peer that never answers the close handshake would hold the stop for ws's 30 s close timeout.
    const deadline = Date.now() + CLOSE_GRACE_MS;
    while (this.clients.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const client of this.clients) client.socket.terminate();
    this.wss.close();
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname !== this.options.path) return; // another path: the host app's upgrade, not ours
    socket.on('error', destroySelf);
    void this.admit(req, socket, head);
  };

  private async admit(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (this.closed) return refuseUpgrade(socket, 'ERR_SHUTTING_DOWN');
    if (!originAllowed(this.options.origins, req.headers.origin)) return refuseUpgrade(socket, 'ERR_ORIGIN_NOT_ALLOWED');
    const address = clientAddress(req, this.options.trustProxy);
    const release = this.perAddress.acquire(address);
    if (!release) return refuseUpgrade(socket, 'ERR_RATE_LIMITED');
    let principal: Principal | undefined;
    const token = tokenFromRequest(req);
    const { authenticator } = this.engine.policies;
    if (token !== undefined || !authenticator.required) {
      try {
        principal = await authenticator.authenticate({ token, headers: req.headers, remoteAddress: address });
      } catch (err) {
        release();
        this.logger.info({ url: redactUrl(req.url), address, err: errorCode(err) }, 'websocket authentication refused');
        return refuseUpgrade(socket, 'ERR_UNAUTHENTICATED');
      }
    }
    if (socket.destroyed) return release();
    // close() may have run while the authenticator was deciding.
    if (this.closed) {
      release();
      return refuseUpgrade(socket, 'ERR_SHUTTING_DOWN');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req, address, principal, release));
  }

  /**
   * The upgrade request is not kept: the closures made here live as long as the connection, so they see only the
   * strings they need (and, until in-band authentication is done, the headers).
   */
  private onConnection(
    socket: WebSocket, req: IncomingMessage, address: string, principal: Principal | undefined, release: () => void,
  ): void {
    const url = redactUrl(req.url);
    const stream = new JsonStream(socket, this.options);
    const phase = this.opened++ % QUIET_ROUNDS;
    const client: Client = { socket, stream, transport: this, address, release, alive: true, phase };
    (socket as ClientSocket)[CLIENT] = client;
    this.clients.add(client);
    socket.on('pong', WebSocketTransport.onPong);
    socket.on('error', WebSocketTransport.onError);
    socket.on('close', WebSocketTransport.onClose);
    const open = (who: Principal): void => {
      client.sub = who.sub;
      const session: Session = { principal: who, remoteAddress: address, transport: 'ws' };
      const agent = this.engine.open(stream, session);
      client.conn = agent.clientId;
      this.closeAtExpiry(socket, stream, who);
      this.logger.info({ conn: agent.clientId, address, user: who.sub, url }, 'websocket opened');
    };
    if (principal) {
      socket.on('message', WebSocketTransport.onMessage);
      open(principal);
      return;
    }
    this.awaitInBandAuth(socket, stream, address, req.headers, open);
  }

  private static onPong(this: WebSocket): void {
    (this as ClientSocket)[CLIENT].alive = true;
  }

  private static onError(this: WebSocket, err: Error): void {
    const { transport, address } = (this as ClientSocket)[CLIENT];
    transport.logger.debug({ address, err: err.message }, 'websocket error');
  }

  private static onClose(this: WebSocket, code: number): void {
    const client = (this as ClientSocket)[CLIENT];
    client.transport.clients.delete(client);
    client.release();
    client.transport.logger.info({ conn: client.conn, user: client.sub, address: client.address, code }, 'websocket closed');
  }

  private static onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    (this as ClientSocket)[CLIENT].stream.receive(data, isBinary);
  }

  /** Waits for `{"a":"auth","token"}` as the first message; anything else, or nothing in time, closes the socket. */
  private awaitInBandAuth(
    socket: WebSocket, stream: JsonStream, address: string, headers: IncomingHttpHeaders, open: (who: Principal) => void,
  ): void {
    const queued: RawData[] = [];
    let upgradeHeaders: IncomingHttpHeaders | undefined = headers; // dropped once authenticated
    let state: 'waiting' | 'verifying' | 'open' = 'waiting';
    const deadline = setTimeout(() => stream.reject('ERR_AUTH_TIMEOUT'), this.options.authDeadlineMs);
    socket.on('close', () => clearTimeout(deadline));
    socket.on('message', (data, isBinary) => {
      if (state === 'open') return stream.receive(data, isBinary);
      if (state === 'verifying') return void queued.push(data);
      const message = isBinary ? undefined : parseMessage(data.toString(), this.options.maxJsonDepth);
      if (!message || !isAuthMessage(message)) return stream.reject('ERR_UNAUTHENTICATED');
      state = 'verifying';
      clearTimeout(deadline);
      this.engine.policies.authenticator
        .authenticate({ token: message.token, headers: upgradeHeaders ?? {}, remoteAddress: address })
        .then((who) => {
          state = 'open';
          upgradeHeaders = undefined;
          open(who);
          for (const data of queued.splice(0)) stream.receive(data, false);
        }, () => stream.reject('ERR_UNAUTHENTICATED'));
    });
  }

  /** A token that expires during the session ends it: closed with 4401, so the client reconnects with a fresh one. */
  private closeAtExpiry(socket: WebSocket, stream: JsonStream, who: Principal): void {
    if (who.expiresAt === undefined) return;
    const expiresAt = who.expiresAt;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const left = expiresAt - Date.now();
      if (left <= 0) return stream.reject('ERR_UNAUTHENTICATED');
      timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS)); // setTimeout overflows beyond ~24.8 days
    };
    arm();
    socket.on('close', () => clearTimeout(timer));
  }

  private reapDeadPeers(): void {
    const round = this.rounds++ % QUIET_ROUNDS;
    for (const client of this.clients) {
      if (!client.stream.sentPresence && client.phase !== round) continue;
      // A socket we stopped reading (rate limit or backpressure) cannot have its pong read: not evidence of a dead
      // peer. Without this, a sender throttled for two heartbeats would be cut off (1006) long before the 10 s of
      // sustained abuse that earns 4429. Pinged again once reading resumes.
      if (client.socket.isPaused) {
        client.alive = true;
        continue;
      }
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }
}

function errorCode(err: unknown): string {
  return err instanceof ConcordError ? err.code : String(err);
}

/** Answers an upgrade request with an HTTP error and the catalogue's body, then drops the socket. */
export function refuseUpgrade(socket: Duplex, code: ErrorCode): void {
  if (socket.destroyed) return;
  const { status } = ERRORS[code];
  const body = JSON.stringify({ error: { code, message: ERRORS[code].hint } });
  const extra = code === 'ERR_RATE_LIMITED' ? 'Retry-After: 1\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\n${extra}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** An 'error' listener shared by every upgrading socket: the socket is `this`. */
function destroySelf(this: Duplex): void {
  this.destroy();
}
