/**
 * The socket ShareDB's Connection binds to. It stands between ShareDB and the reconnecting WebSocket so that the
 * client decides, before ShareDB sees anything, what a close means and what the first message of every connection
 * is (the in-band auth message). ShareDB assigns the `on*` handlers; the client calls them.
 */

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

  constructor(owner: SocketOwner) {
    this.owner = owner;
  }

  get readyState(): number {
    return this.owner.readyState();
  }

  send(data: string): void {
    this.owner.send(data);
  }

  close(): void {
    this.owner.close();
  }
}
