/**
 * Starting and stopping the standalone server as users run it (`node server/dist/main.js`, a child process), and
 * the graceful stop of the library in-process, where a commit can be held in flight deterministically.
 *
 * The child processes use STORAGE=memory for now; a durable variant of these tests will run with STORAGE=sqlite
 * and a temporary DATA_DIR, and check after a restart that every acknowledged op is still there.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import ShareDB from 'sharedb';
import type { Doc } from 'sharedb/lib/client/index.js';
import type { Storage } from '@concord/server';
import { MAIN, startChildServer, type ChildServer } from '../../helpers/child-server.js';
import { connectStock, create, submit, subscribe, type StockClient } from '../../helpers/stock-client.js';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { waitFor } from '../../helpers/wait-for.js';

const RSA_1024_PUBLIC_KEY = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

const children: ChildServer[] = [];
const clients: StockClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const child of children.splice(0)) {
    child.kill('SIGKILL');
    await child.exited;
  }
});

async function startMemoryServer(): Promise<ChildServer> {
  const child = await startChildServer({ STORAGE: 'memory' });
  children.push(child);
  return child;
}

/** Output lines that report a failure: pino levels error (50) and fatal (60), or a Node stack / warning. */
function errorLines(output: string): string[] {
  return output.split('\n').filter((line) =>
    /"level":(50|60)/.test(line) || /\b(Error|TypeError|RangeError|Unhandled|Uncaught|Warning):/.test(line));
}

async function healthzAnswers(httpUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

describe('the standalone server process', () => {
  it('prints `listening on http://127.0.0.1:<port>` once, with the bound port', async () => {
    const child = await startMemoryServer();
    const match = /^http:\/\/127\.0\.0\.1:(\d+)$/.exec(child.httpUrl);
    expect(match).not.toBeNull();
    expect(Number(match?.[1])).toBeGreaterThan(0);
    expect(await healthzAnswers(child.httpUrl)).toBe(true);
    // A request later, still exactly one such line.
    expect(child.output().match(/listening on /g)).toHaveLength(1);
    expect(child.output()).toContain(`listening on ${child.httpUrl}\n`);
  });

  it('on SIGTERM closes clients with 1001, exits 0 without errors, and stops answering', async () => {
    const child = await startMemoryServer();
    const client = await connectStock(child.wsUrl);
    clients.push(client);
    const doc = client.connection.get('notes', 'stop');
    await create(doc, { n: 0 }, 'json0');
    await submit(doc, [{ p: ['n'], na: 1 }]);
    const outputBefore = child.output().length;

    child.kill('SIGTERM');

    expect((await client.closed).code).toBe(1001);
    const { code, signal } = await child.exited;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(errorLines(child.output().slice(outputBefore))).toEqual([]);
    expect(await healthzAnswers(child.httpUrl)).toBe(false);
  });

  it('on SIGTERM exits 0 while its Redis is unreachable (the pub/sub close does not wait for a connection)', async () => {
    // Port 1 refuses connections: the server runs degraded, retrying Redis, as during an outage. No Redis is touched.
    const dataDir = mkdtempSync(join(tmpdir(), 'concord-stop-'));
    const child = await startChildServer({ DATA_DIR: dataDir, REDIS_URL: 'redis://127.0.0.1:1' });
    children.push(child);
    await waitFor('a failed Redis connection logged', () => /redis pub\/sub error/.test(child.output()) || undefined);
    child.kill('SIGTERM');
    const outcome = await Promise.race([
      child.exited,
      new Promise((resolve) => setTimeout(() => resolve('still running 10 s after SIGTERM'), 10_000)),
    ]);
    expect(outcome).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('acknowledges an op submitted just before SIGTERM, or leaves it pending for a resend; never fails it', async () => {
    const child = await startMemoryServer();
    const client = await connectStock(child.wsUrl);
    clients.push(client);
    const doc: Doc = client.connection.get('notes', 'in-flight');
    await create(doc, { n: 0 }, 'json0');

    // Know the moment the op frame has left for the server (ws calls back once it is written to the socket).
    let opFlushed!: () => void;
    const flushed = new Promise<void>((resolve) => (opFlushed = resolve));
    const send = client.socket.send.bind(client.socket);
    client.socket.send = ((data: string) => {
      if (typeof data === 'string' && data.includes('"a":"op"')) return send(data, () => opFlushed());
      return send(data);
    }) as typeof client.socket.send;

    const events: string[] = [];
    let opError: unknown;
    doc.submitOp([{ p: ['n'], na: 1 }], {}, (err?: unknown) => {
      opError = err;
      events.push(err ? 'op failed' : 'op acked');
    });
    void client.closed.then(({ code }) => events.push(`closed ${code}`));
    await flushed;
    child.kill('SIGTERM');

    const { code } = await child.exited;
    expect(code).toBe(0);
    await client.closed;
    // What we assert, exactly:
    // - the op never fails (a failed op makes a stock client drop its pending edits);
    // - the socket closes with 1001;
    // - either the op was acknowledged before that close (it reached the server before the stop began, and the
    //   stop let its commit finish and its ack go out first), or it is still pending in the client (it arrived
    //   after the stop began: never read, never acknowledged, resent by the client after it reconnects).
    expect(opError).toBeUndefined();
    expect(events.at(-1)).toBe('closed 1001');
    if (events[0] === 'op acked') {
      expect(events).toEqual(['op acked', 'closed 1001']);
      expect(doc.hasPending()).toBe(false);
    } else {
      expect(events).toEqual(['closed 1001']);
      expect(doc.hasPending()).toBe(true);
    }
  });
});

describe('the standalone server refuses an invalid configuration', () => {
  /** Runs main.js with `env` and resolves with its exit code and everything it printed. */
  function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', STORAGE: 'memory', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })));
  }

  const cases: Array<{ env: Record<string, string>; names: RegExp; label?: string }> = [
    { env: { PORT: 'abc' }, names: /PORT/ },
    { env: { PORT: '70000' }, names: /PORT/ },
    { env: { DURABILITY: 'x' }, names: /DURABILITY/ },
    { env: { STORAGE: 'floppy' }, names: /STORAGE/ },
    { env: { NODE_ENV: 'production', AUTH_JWT_SECRET: '', AUTH_JWT_PUBLIC_KEY: '', AUTH_DISABLED: '' }, names: /AUTH_JWT_SECRET/ },
    { env: { REDIS_URL: 'redis://:6379' }, names: /REDIS_URL needs a host/ },
    { env: { HOST: '999.1.1.1' }, names: /HOST must be a host name or an IP address/ },
    { env: { MONGO_URL: 'mongodb://:27017/concord' }, names: /MONGO_URL needs a host/ },
    { env: { METRICS_TOKEN: 'short-token' }, names: /METRICS_TOKEN must be at least 16 characters/ },
    // A PEM public key jose would refuse for RS256 (under 2048 bits): refused at start, not on every token.
    { env: { AUTH_JWT_PUBLIC_KEY: RSA_1024_PUBLIC_KEY }, label: 'AUTH_JWT_PUBLIC_KEY = an RSA 1024 key', names: /AUTH_JWT_PUBLIC_KEY must be an RSA key of at least 2048 bits/ },
  ];

  for (const { env, names, label } of cases) {
    it(`exits non-zero naming the variable for ${label ?? JSON.stringify(env)}`, async () => {
      const { code, output } = await run(env);
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      expect(output).toMatch(names);
      expect(output).not.toMatch(/listening on/);
    });
  }

  // On SQLite too: its checkpoint worker, still starting, once let the process run dry and exit 0 without a word.
  it.each(['memory', 'sqlite'])('names HOST and PORT when the port is in use (%s)', async (storage) => {
    const holder = createNetServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const dataDir = mkdtempSync(join(tmpdir(), 'concord-listen-'));
    try {
      const { port } = holder.address() as AddressInfo;
      const { code, output } = await run({ PORT: String(port), STORAGE: storage, DATA_DIR: dataDir });
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      expect(output).toContain(`cannot listen on HOST=127.0.0.1 PORT=${port}: the port is in use`);
      expect(output).not.toMatch(/listening on/);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('names HOST and PORT when the address is not this machine\'s', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): a valid address that no interface here has.
    const { code, output } = await run({ HOST: '192.0.2.1', PORT: '0' });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain('cannot listen on HOST=192.0.2.1 PORT=0: no network interface of this machine has that address');
    expect(output).not.toMatch(/listening on/);
  });

  it('starts in production without auth when AUTH_DISABLED=true', async () => {
    const child = await startChildServer({ STORAGE: 'memory', NODE_ENV: 'production', AUTH_DISABLED: 'true' });
    children.push(child);
    expect(await healthzAnswers(child.httpUrl)).toBe(true);
  });
});

describe('the library stop, with a commit held in flight', () => {
  let server: TestServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('lets the in-flight commit finish and acknowledges it before closing with 1001', async () => {
    // A memory store whose commits wait until the test releases them.
    let holding = false;
    const held: Array<() => void> = [];
    class HeldDB extends ShareDB.MemoryDB {
      override commit(...args: Parameters<ShareDB.MemoryDB['commit']>): void {
        if (!holding) return super.commit(...args);
        held.push(() => super.commit(...args));
      }
    }
    const require = createRequire(import.meta.url);
    const MemoryMilestoneDB = require('sharedb/lib/milestone-db/memory') as new () => ShareDB.MilestoneDB;
    const db = new HeldDB();
    const storage: Storage = {
      kind: 'memory', db, milestoneDb: new MemoryMilestoneDB(),
      ping: () => Promise.resolve(),
      close: () => new Promise<void>((resolve) => db.close(() => resolve())),
    };
    server = await startTestServer({ storage });
    const writer = await connectStock(server.wsUrl);
    const watcher = await connectStock(server.wsUrl);
    clients.push(writer, watcher);
    const doc = writer.connection.get('notes', 'held');
    await create(doc, { n: 0 }, 'json0');
    const watched = watcher.connection.get('notes', 'held');
    await subscribe(watched);

    holding = true;
    const events: string[] = [];
    const acked = submit(doc, [{ p: ['n'], na: 1 }]).then(() => events.push('acked'), (err: unknown) => {
      events.push(`failed ${String(err)}`);
    });
    void writer.closed.then(({ code }) => events.push(`writer closed ${code}`));
    await waitFor('the commit to be in flight', () => held.length === 1);

    const closing = server.collab.close();
    let closed = false;
    void closing.then(() => (closed = true));
    // The stop waits for the commit: after a ping round trip on the writer's socket (a close frame sent by the
    // server would have arrived before the pong), nothing is acknowledged, nothing closed, close() not resolved.
    await new Promise<void>((resolve) => {
      writer.socket.once('pong', () => resolve());
      writer.socket.ping();
    });
    expect(server.collab.engine.submitsInFlight).toBe(1);
    expect(events).toEqual([]);
    expect(closed).toBe(false);

    held.splice(0).forEach((commit) => commit());
    await waitFor('the ack and the close', () => events.length >= 2);
    expect(events).toEqual(['acked', 'writer closed 1001']);
    await acked;
    await closing;
    expect((await watcher.closed).code).toBe(1001);
    expect(doc.data).toEqual({ n: 1 });
    expect(doc.hasPending()).toBe(false);
  });
});
