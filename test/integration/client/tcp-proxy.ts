/**
 * A TCP proxy a test controls, between clients (Node or a browser) and a server: `cut()` resets every connection
 * and refuses new ones (a network that is gone), `blackhole()` keeps connections open but drops every byte in both
 * directions (a network that dies silently: no FIN, no RST), `dropReplies()` drops only server-to-client bytes
 * (acknowledgements lost on the way), `restore()` forwards again for new connections.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

type Mode = 'forward' | 'cut' | 'blackhole' | 'drop-replies';

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
}

export class TcpProxy {
  readonly port: number;
  private readonly server: Server;
  private readonly target: { host: string; port: number };
  private readonly pairs = new Set<Pair>();
  private mode: Mode = 'forward';

  private constructor(server: Server, target: { host: string; port: number }) {
    this.server = server;
    this.target = target;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Listens on a free port of 127.0.0.1 and forwards to `targetUrl`'s host and port. */
  static async start(targetUrl: string): Promise<TcpProxy> {
    const url = new URL(targetUrl);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpProxy(server, { host: url.hostname, port: Number(url.port) });
    server.on('connection', (socket) => proxy.accept(socket));
    return proxy;
  }

  /** The proxy's address with the scheme and path of `url` (for example `ws://127.0.0.1:PORT/ws`). */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.host = `127.0.0.1:${this.port}`;
    return parsed.toString();
  }

  get connections(): number {
    return this.pairs.size;
  }

  cut(): void {
    this.mode = 'cut';
    for (const pair of this.pairs) this.destroy(pair);
  }

  blackhole(): void {
    this.mode = 'blackhole';
    for (const pair of this.pairs) this.silence(pair, true);
  }

  dropReplies(): void {
    this.mode = 'drop-replies';
    for (const pair of this.pairs) this.silence(pair, false);
  }

  restore(): void {
    this.mode = 'forward';
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) this.destroy(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => client.destroy());
    if (this.mode === 'cut') return void client.resetAndDestroy();
    const upstream = connect(this.target.port, this.target.host);
    upstream.on('error', () => upstream.destroy());
    const pair: Pair = { client, upstream };
    this.pairs.add(pair);
    if (this.mode === 'blackhole') return this.silence(pair, true);
    client.pipe(upstream);
    upstream.pipe(client);
    if (this.mode === 'drop-replies') this.silence(pair, false);
    const end = (): void => {
      if (this.pairs.has(pair) && this.mode === 'forward') this.destroy(pair);
    };
    client.on('close', end);
    upstream.on('close', end);
  }

  /** Stops forwarding: server-to-client always, client-to-server too when `both`. Bytes are read and dropped. */
  private silence(pair: Pair, both: boolean): void {
    pair.upstream.unpipe(pair.client);
    pair.upstream.on('data', () => undefined);
    if (!both) return;
    pair.client.unpipe(pair.upstream);
    pair.client.on('data', () => undefined);
  }

  private destroy(pair: Pair): void {
    this.pairs.delete(pair);
    pair.client.resetAndDestroy();
    pair.upstream.destroy();
  }
}
