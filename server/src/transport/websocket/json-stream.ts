/**
 * A duplex object stream of ShareDB protocol messages over one WebSocket, the stream an Agent reads and writes.
 *
 * Unlike ShareDB's example stack (websocket-json-stream), nothing a client sends can make this stream emit an
 * unhandled 'error': a frame that is binary, not JSON, not a JSON object, or nested too deeply closes this one
 * socket with a close code and an `ERR_*` reason, and the process and every other client carry on. Outbound
 * messages are framed here (an op once for all its recipients) and written to the socket; when a slow reader lets
 * more than `maxBufferedBytes` pile up, the socket is closed with 1013 instead of letting the server's memory grow.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { WebSocket, RawData } from 'ws';
import { CLOSE_CODES, ERRORS, formatRetryAfter, isAuthMessage, type ErrorCode } from '@concord/shared';
import { RateGate, type GateHooks, type MessageKind } from './rate-gate.js';
import { frameMessage } from './serialize.js';
import { exceedsDepth } from './json-depth.js';

export interface JsonStreamOptions {
  maxJsonDepth: number;
  maxBufferedBytes: number;
  /** Ops per second before reading slows down; 0 = unlimited. */
  opsPerSec: number;
  /** Presence updates per second before reading slows down; 0 = unlimited. */
  presencePerSec: number;
  /** Called when a message had to wait for its rate. */
  onSlowed?: (kind: MessageKind) => void;
}

type WriteCallback = (err?: Error | null) => void;

const STREAM_OF = Symbol('concord.jsonStream');
type SocketWithStream = WebSocket & { [STREAM_OF]: JsonStream };

function terminateSocket(this: JsonStream): void {
  this.terminate();
}

function endStream(this: WebSocket): void {
  (this as SocketWithStream)[STREAM_OF].socketClosed();
}

/** Reasons reading is paused (bits of `JsonStream.pausedFor`). */
const STREAM = 1;
const RATE = 2;

/**
 * The rate gate's hooks into a stream: one small object per connection, where closures would cost several (every
 * idle connection pays for them).
 */
class GateToStream implements GateHooks {
  constructor(private readonly stream: JsonStream, readonly slowed: ((kind: MessageKind) => void) | undefined) {}
  pause(): void {
    this.stream.pauseFor(RATE);
  }
  resume(): void {
    this.stream.resumeFor(RATE);
  }
  deliver(message: Record<string, unknown>): void {
    this.stream.pushMessage(message);
  }
  abuse(retryAfterMs: number): void {
    this.stream.closeSocket(CLOSE_CODES.RATE_LIMITED, formatRetryAfter(retryAfterMs));
  }
}

export class JsonStream extends Duplex {
  private readonly socket: WebSocket;
  private readonly options: JsonStreamOptions;
  private readonly gate: RateGate;
  /** Why reading is paused: the agent is not keeping up (STREAM), or a rate limit (RATE); a bit each. */
  private pausedFor = 0;
  /** This turn of the event loop already wrote to the socket; later writes are held (see corkUntilNextTurn). */
  private writesThisTurn = 0;
  private busyLastTurn = false;
  private corked = false;
  /** Set when the server stops: frames are no longer delivered. */
  private stoppedReading = false;
  /** Set once the client has sent a presence update: its loss must be noticed within the contract's 5 s. */
  sentPresence = false;

  constructor(socket: WebSocket, options: JsonStreamOptions) {
    super({ objectMode: true, allowHalfOpen: false });
    this.socket = socket;
    this.options = options;
    this.gate = new RateGate(options, new GateToStream(this, options.onSlowed));
    // The agent cleans up on 'close'; errors are ends of this one connection, never process-wide. The listeners
    // are shared by every stream (`this` is the emitter): closures would cost every idle connection.
    this.on('error', terminateSocket);
    (socket as SocketWithStream)[STREAM_OF] = this;
    socket.on('close', endStream);
  }

  /** @internal the socket closed: end the stream (the agent cleans up). */
  socketClosed(): void {
    this.gate.stop();
    this.push(null);
    this.destroy();
  }

  /**
   * Feeds one raw frame from the socket into the stream (decoded and parsed once), or closes the socket if it is not a
   * protocol message. A stray in-band auth message (the client package always sends one) is dropped.
   */
  receive(data: RawData, isBinary: boolean): void {
    if (this.destroyed || this.stoppedReading) return;
    if (isBinary) return this.reject('ERR_BINARY_FRAME');
    const message = parseMessage(data.toString(), this.options.maxJsonDepth);
    if (message === undefined) return this.reject('ERR_MESSAGE_BADLY_FORMED');
    if (message['a'] === 'auth' && isAuthMessage(message)) return;
    if (message['a'] === 'p') this.sentPresence = true;
    this.gate.push(message);
  }

  /**
   * The server is stopping: frames that arrive from now on are dropped unread, so nothing new starts while the
   * commits already in flight finish. The client resends its unacknowledged ops after reconnecting. The socket is
   * still read, for the close handshake.
   */
  stopReading(): void {
    this.stoppedReading = true;
    this.gate.stop();
    this.pausedFor = 0;
    if (this.socket.isPaused) this.socket.resume();
  }

  /** @internal for GateToStream */
  pushMessage(message: Record<string, unknown>): void {
    if (this.destroyed || this.stoppedReading) return;
    if (!this.push(message)) this.pauseFor(STREAM);
  }

  /** @internal for GateToStream */
  pauseFor(reason: number): void {
    this.pausedFor |= reason;
    this.socket.pause();
  }

  /** @internal for GateToStream */
  resumeFor(reason: number): void {
    this.pausedFor &= ~reason;
    if (this.pausedFor === 0 && this.socket.isPaused) this.socket.resume();
  }

  /** Closes the socket with the close code of an error from the catalogue, the code as the reason. */
  reject(code: ErrorCode): void {
    const spec = ERRORS[code] as { close?: number };
    this.closeSocket(spec.close ?? CLOSE_CODES.INTERNAL_ERROR, code);
  }

  closeSocket(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason);
      // Nothing more is delivered, but the socket is read again: the peer's close frame has to arrive for the close to
      // complete, and a socket paused for its rate (4429) would otherwise hang for ws's 30 s close timeout.
      this.stopReading();
    }
  }

  override _read(): void {
    this.resumeFor(STREAM);
  }

  /**
   * Sends one message at once, past the Writable queue: writes here are synchronous and never wait (the socket has
   * its own buffer, bounded by `maxBufferedBytes`), and ShareDB's agent ignores backpressure, so the queue's
   * bookkeeping and its deferred callbacks would be paid on every message of every subscriber for nothing. A write
   * after the end or the destruction of the stream is dropped, as the agent drops replies once it is closed.
   */
  override write(message: unknown, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (!this.writableEnded && !this.destroyed) this.send(message);
    if (done) process.nextTick(done, null);
    return true;
  }

  override _write(message: unknown, _encoding: BufferEncoding, callback: WriteCallback): void {
    this.send(message);
    callback();
  }

  private send(message: unknown): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.options.maxBufferedBytes) return this.reject('ERR_SLOW_CONSUMER');
    const raw = rawSocketOf(this.socket);
    if (!raw?.writable) return;
    this.corkUntilNextTurn(raw);
    raw.write(frameMessage(message));
  }

  /**
   * From the second message this turn of the event loop produces for this client (several ops committed together,
   * an ack and the ops it was transformed over), writes are held until the turn ends and leave in one system call
   * instead of one each. A client that got several messages last turn (a subscriber of a hot document) has its
   * first one held too, so a busy turn costs it one system call, not two. A lone message (an ack on a quiet
   * document) goes out at once.
   */
  private corkUntilNextTurn(raw: Socket): void {
    this.writesThisTurn++;
    if (this.writesThisTurn === 1) {
      setImmediate(() => {
        this.busyLastTurn = this.writesThisTurn > 1;
        this.writesThisTurn = 0;
        if (this.corked && !raw.destroyed) raw.uncork();
        this.corked = false;
      });
      if (!this.busyLastTurn) return;
    }
    if (this.corked) return;
    this.corked = true;
    raw.cork();
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.closeSocket(1000, 'closed');
    callback();
  }

  /** @internal */
  terminate(): void {
    this.socket.terminate();
  }
}

/**
 * The TCP socket under a WebSocket (ws keeps it as `_socket`). Frames are written to it directly: every message is
 * framed once (see serialize.ts) and ws's sender would frame and encode it again per recipient. With
 * permessage-deflate off ws writes its own frames (ping, pong, close) straight to this socket too, so order is kept.
 */
function rawSocketOf(socket: WebSocket): Socket | undefined {
  return (socket as unknown as { _socket?: Socket })._socket;
}

/** Parses a text frame into a ShareDB message: a JSON object (not an array, not null) within the depth limit. */
export function parseMessage(text: string, maxDepth: number): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  // Nesting deeper than maxDepth takes more than 2 × maxDepth brackets: shorter messages (nearly all) skip the walk.
  if (text.length > 2 * maxDepth && exceedsDepth(value, maxDepth)) return undefined;
  return value as Record<string, unknown>;
}
