/**
 * A private redis-server per test: a child process on a unix socket in its own temporary folder (no TCP port, no
 * persistence), killed at the end. Tests never touch a Redis they did not start. `restart()` kills it and starts a
 * new one on the same socket path, as an operator restarting Redis would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';

/** True when `redis-server` can be run here. */
export function redisAvailable(): boolean {
  return spawnSync(REDIS_BIN, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether a test file should skip for want of redis-server: only outside CI. In CI (`CI=true`) a missing
 * redis-server is a failure, which `RedisServer.start()` then reports.
 */
export function skipWithoutRedis(): boolean {
  const missing = !redisAvailable();
  if (missing && process.env.CI !== 'true') console.warn('[multiprocess] redis-server not found: skipping (a failure in CI)');
  return missing && process.env.CI !== 'true';
}

/** Resolves true when a Redis answers PING on the unix socket within `timeoutMs`. */
export function pingRedis(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    let reply = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}

export class RedisServer {
  readonly dir: string;
  readonly socketPath: string;
  /** What the server processes get as REDIS_URL. */
  readonly url: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log = '';

  private constructor(dir: string) {
    this.dir = dir;
    this.socketPath = join(dir, 'redis.sock');
    this.url = `unix://${this.socketPath}`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(mkdtempSync(join(tmpdir(), 'concord-redis-')));
    try {
      await server.spawn();
    } catch (err) {
      rmSync(server.dir, { recursive: true, force: true });
      throw err;
    }
    return server;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything redis-server printed (all its runs). */
  output(): string {
    return this.log;
  }

  /** Starts redis-server and resolves once it answers PING on the socket. */
  private async spawn(timeoutMs = 15_000): Promise<void> {
    const child = spawn(REDIS_BIN, [
      '--port', '0', '--unixsocket', this.socketPath, '--unixsocketperm', '700',
      '--save', '', '--appendonly', 'no', '--dir', this.dir,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let failed: Error | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (err) => {
        failed = new Error(`could not run ${REDIS_BIN} (${err.message}); install redis-server (in CI it is required)`);
        resolve();
      });
    });
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (failed) throw failed;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited at start:\n${this.log}`);
      if (await pingRedis(this.socketPath, 500)) return;
      if (Date.now() > deadline) throw new Error(`redis-server did not answer within ${timeoutMs} ms:\n${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** `kill -9` of redis-server; resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.running) this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** A new redis-server on the same socket path (the old one killed first if still running). */
  async restart(): Promise<void> {
    await this.kill();
    await this.spawn();
  }

  /** Kills it and removes its folder. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * One raw connection to the test's own Redis for admin commands (`CONFIG SET`, `CLIENT KILL`): kept open, so it
 * still works while `maxclients` refuses new connections. Replies are read as their first line (enough for
 * status, error and integer replies).
 */
export class RedisAdmin {
  private buffer = '';
  private waiting: Array<(line: string) => void> = [];

  private constructor(private readonly socket: import('node:net').Socket) {
    socket.on('data', (chunk) => {
      this.buffer += chunk.toString();
      for (let end = this.buffer.indexOf('\r\n'); end !== -1; end = this.buffer.indexOf('\r\n')) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        this.waiting.shift()?.(line);
      }
    });
    socket.on('error', () => undefined);
  }

  static connect(socketPath: string): Promise<RedisAdmin> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(socketPath);
      socket.once('connect', () => resolve(new RedisAdmin(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends one command; resolves with the reply's first line (`+OK`, `:3`, `-ERR ...`). */
  command(...args: string[]): Promise<string> {
    const frame = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis ${args[0]}: no reply`)), 5_000);
      this.waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
