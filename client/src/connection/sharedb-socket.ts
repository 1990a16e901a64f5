/**
 * The socket ShareDB's Connection binds to. It stands between ShareDB and the reconnecting WebSocket so that the
 * client decides, before ShareDB sees anything, what a close means and what the first message of every connection
 * is (the in-band auth message). ShareDB assigns the `on*` handlers; the client calls them.
 *
 * It also keeps an edit too big for the server off the wire. The server closes a connection that sends a message
 * over its MAX_MESSAGE_BYTES with 1009, which a client must not retry, so one oversized paste used to end the
 * session: everything typed after it stayed unsent and was lost with the page. Such an op is answered here, as the
 * server would answer an op it refuses (`ERR_MESSAGE_TOO_BIG`): ShareDB rolls it back and reports it to the
 * submitter, and the connection carries on. The bindings refuse such an edit before ShareDB queues it (see
 * submitEdit), so that it is not composed with the user's other edits and rolled back with them. A presence update
 * over the limit (a selection of thousands of shapes) is answered the same way: its submitter's callback, or the
 * local presence's 'error', gets ERR_MESSAGE_TOO_BIG, and nothing is sent.
 */
import { DEFAULT_LIMITS, type ErrorBody } from '@concord/shared';

/** What a ShareDB Connection needs of a socket. */
export interface SocketOwner {
  readyState(): number;
  send(data: string): void;
  /** ShareDB closes its socket only when the connection is closed for good. */
  close(): void;
}

/** ShareDB reads `reason === 'closed' | 'stopped'` as final; anything else (an event) means "will reconnect". */
export type ShareDbCloseReason = 'closed' | 'stopped' | { code: number; reason: string };

export class ShareDbSocket {
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onclose: ((reason: ShareDbCloseReason) => void) | null = null;
  private readonly owner: SocketOwner;
  /** The server's MAX_MESSAGE_BYTES, as `connect({ maxMessageBytes })` was told it. */
  readonly maxMessageBytes: number;

  constructor(owner: SocketOwner, maxMessageBytes: number = DEFAULT_LIMITS.maxMessageBytes) {
    this.owner = owner;
    this.maxMessageBytes = maxMessageBytes;
  }

  get readyState(): number {
    return this.owner.readyState();
  }

  send(data: string): void {
    // A UTF-16 unit is at most 3 UTF-8 bytes: only a message that could be too big is measured.
    const refusal = data.length * 3 > this.maxMessageBytes ? this.refusalOf(data) : undefined;
    if (refusal === undefined) return this.owner.send(data);
    queueMicrotask(() => this.onmessage?.({ data: refusal }));
  }

  /** The server's answer to an op over the limit, as ShareDB expects it; undefined to send the message as it is. */
  private refusalOf(data: string): string | undefined {
    const bytes = new TextEncoder().encode(data).length;
    if (bytes <= this.maxMessageBytes) return undefined;
    const message = JSON.parse(data) as Record<string, unknown>;
    const error: ErrorBody = {
      code: 'ERR_MESSAGE_TOO_BIG',
      message: tooBigMessage(bytes, this.maxMessageBytes, message['a'] === 'p' ? 'presence update' : 'edit'),
    };
    switch (message['a']) {
      case 'op': {
        const { c, d, v, src, seq } = message;
        return JSON.stringify({ a: 'op', c, d, v, src, seq, error });
      }
      case 'p': {
        // ShareDB hands a presence reply with an error to the local presence that sent version `pv`.
        const { ch, id, pv } = message;
        return JSON.stringify({ a: 'p', ch, id, pv, error });
      }
      default:
        return undefined; // the server closes with 1009, as for any client
    }
  }

  close(): void {
    this.owner.close();
  }
}

/** The limit a connection's socket was given; ShareDB's own connections (no ShareDbSocket) get the default. */
export function messageLimitOf(connection: object): number {
  const socket = (connection as { socket?: unknown }).socket;
  return socket instanceof ShareDbSocket ? socket.maxMessageBytes : DEFAULT_LIMITS.maxMessageBytes;
}

/**
 * The UTF-8 size of a message's JSON: exact when it could matter against `limit`, otherwise an upper bound (a UTF-16
 * unit is at most 3 UTF-8 bytes), so that a user's keystrokes are not each encoded.
 */
export function jsonBytes(json: string, limit: number): number {
  const bound = json.length * 3;
  return bound * 8 > limit ? new TextEncoder().encode(json).length : bound;
}

/** What the client says of an edit (or presence update) it did not send because its message would be over the server's limit. */
export function tooBigMessage(bytes: number, limit: number, what = 'edit'): string {
  return `this ${what} is ${bytes} bytes, over the server's ${limit}: it was not sent`;
}
