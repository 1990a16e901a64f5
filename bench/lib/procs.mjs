/**
 * Child processes of the bench: servers (stock ShareDB, Concord's standalone server), the load generator, and a
 * private redis-server on a unix socket. Every child is registered and killed when the bench exits, also on Ctrl-C.
 * Each child starts through `sh -c 'ulimit -n N; exec ...'` so it gets the raised file-descriptor soft limit; the
 * `exec` keeps the node process's pid, which is the one /proc is read for.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const ROOT = join(BENCH_DIR, '..');
export const CONCORD_MAIN = join(ROOT, 'server', 'dist', 'main.js');
export const STOCK_MAIN = join(BENCH_DIR, 'stock-server.mjs');
export const BARE_WS_MAIN = join(BENCH_DIR, 'bare-ws-server.mjs');
export const LOADGEN = join(BENCH_DIR, 'loadgen.mjs');
export const GC_HOOK = join(BENCH_DIR, 'gc-hook.cjs');

const children = new Set();
const cleanups = new Set();
let fdLimit = 0;

export function setFdLimit(n) {
  fdLimit = n;
}

/** The soft and hard `ulimit -n` a shell here gets, and what a shell can raise its soft limit to. */
export function fdLimits(wanted) {
  const read = (script) => Number(spawnSync('sh', ['-c', script], { encoding: 'utf8' }).stdout.trim()) || 0;
  const soft = read('ulimit -Sn');
  const hardRaw = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  const hard = hardRaw === 'unlimited' ? Infinity : Number(hardRaw) || soft;
  const target = Math.max(soft, Math.min(hard, wanted));
  const effective = target > soft ? read(`ulimit -n ${target} 2>/dev/null; ulimit -Sn`) : soft;
  return { soft, hard: hardRaw, effective };
}

function wrapped(args) {
  // sh -c 'ulimit -n N 2>/dev/null; exec "$0" "$@"' node args...
  const script = fdLimit > 0 ? `ulimit -n ${fdLimit} 2>/dev/null; exec "$0" "$@"` : 'exec "$0" "$@"';
  return ['-c', script, process.execPath, ...args];
}

/** Env for a server: the bench's own env minus anything that would configure Concord differently. */
function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(PORT|HOST|STORAGE|DATA_DIR|DURABILITY|LIMIT_|MAX_MESSAGE_BYTES|LOG_LEVEL|NODE_ENV|AUTH_|REDIS_URL|MONGO_URL|CONFIG_FILE|METRICS_TOKEN|ALLOWED_ORIGINS|PUBLIC_ORIGIN|TRUST_PROXY|MILESTONE_INTERVAL|NODE_OPTIONS)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function track(child, name) {
  const entry = { child, name };
  children.add(entry);
  child.once('exit', () => children.delete(entry));
  return entry;
}

export function alive(child) {
  return child.exitCode === null && child.signalCode === null;
}

/** Kills every child still running (SIGKILL) and runs the registered cleanups. Synchronous: usable on exit. */
export function killAll() {
  for (const { child } of children) {
    try { if (alive(child)) child.kill('SIGKILL'); } catch { /* gone */ }
  }
  children.clear();
  for (const fn of cleanups) {
    try { fn(); } catch { /* best effort */ }
  }
  cleanups.clear();
}

export function onCleanup(fn) {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** VmRSS of a process in bytes, from /proc/<pid>/status; null when unreadable. */
export function vmRss(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * CPU seconds a process ran and seconds it waited runnable for a CPU (run-queue wait), summed over its threads,
 * from /proc/<pid>/task/<tid>/schedstat; null when unreadable. A large wait means the machine is oversubscribed.
 */
export function schedstat(pid) {
  try {
    let run = 0;
    let wait = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [a, b] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        run += a;
        wait += b;
      } catch { /* thread ended */ }
    }
    return { run: run / 1e9, wait: wait / 1e9 };
  } catch {
    return null;
  }
}

/**
 * Starts a server (`kind` 'stock' or 'concord') with --expose-gc and the bench's GC hook preloaded; resolves once it
 * printed `listening on http://...`.
 */
export function startServer({ kind, env = {}, label, timeoutMs = 45_000 }) {
  const script = kind === 'stock' ? STOCK_MAIN : kind === 'bare' ? BARE_WS_MAIN : CONCORD_MAIN;
  // BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the servers without touching the loadgen.
  const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn('sh', wrapped([...extra, '--expose-gc', '-r', GC_HOOK, script]), {
    cwd: ROOT,
    env: cleanEnv({ PORT: '0', HOST: '127.0.0.1', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child, label);
  let out = '';
  let gcWaiters = [];
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const onData = (chunk) => {
    const text = chunk.toString();
    out += text;
    if (out.length > 200_000) out = out.slice(-100_000);
    for (const line of text.split('\n')) {
      const m = /BENCHGC (\{.*\})/.exec(line);
      if (m) {
        const waiters = gcWaiters;
        gcWaiters = [];
        for (const w of waiters) w(JSON.parse(m[1]));
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label}: no "listening on" within ${timeoutMs} ms:\n${out.slice(-2000)}`));
    }, timeoutMs);
    const check = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      child.stderr.off('data', check);
      const httpUrl = m[1];
      const wsUrl = `${httpUrl.replace(/^http/, 'ws')}${kind === 'concord' ? '/ws' : '/'}`;
      if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(httpUrl)) {
        child.kill('SIGKILL');
        reject(new Error(`${label}: listens on ${httpUrl}, not 127.0.0.1`));
        return;
      }
      resolve({
        kind, label, pid: child.pid, httpUrl, wsUrl, child, exited,
        alive: () => alive(child),
        output: () => out,
        /** SIGUSR2 → full GC in the server (bench/gc-hook.cjs); then VmRSS from /proc. */
        async gcRss() {
          if (!alive(child)) throw new Error(`${label} is not running`);
          const reported = new Promise((res) => {
            const t = setTimeout(() => res(null), 10_000);
            gcWaiters.push((v) => { clearTimeout(t); res(v); });
          });
          child.kill('SIGUSR2');
          const report = await reported;
          await new Promise((r) => setTimeout(r, 100));
          return { rss: vmRss(child.pid), forcedGc: Boolean(report?.gc), heapUsed: report?.heapUsed ?? null, young: report?.young ?? null };
        },
        async stop() {
          if (!alive(child)) return exited;
          child.kill('SIGTERM');
          const t = setTimeout(() => { if (alive(child)) child.kill('SIGKILL'); }, 3_000);
          const r = await exited;
          clearTimeout(t);
          return r;
        },
      });
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code ?? signal}) before listening:\n${out.slice(-2000)}`));
    });
  });
}

/**
 * A load-generator process (bench/loadgen.mjs) that runs jobs one at a time. `run(job)` resolves with the job's
 * result; `onCheckpoint(name)` is awaited at the job's checkpoints, `onMark(name)` told of its marks (the load
 * generator does not wait for it). A job that fails, overruns `timeoutMs` or loses
 * the process rejects; after a timeout or an exit the process is gone and later runs reject at once.
 */
export async function openLoadgen({ label = 'loadgen', startTimeoutMs = 60_000 } = {}) {
  const child = spawn('sh', wrapped([LOADGEN]), { cwd: ROOT, env: cleanEnv({}), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  track(child, label);
  let out = '';
  const keep = (c) => { out += c.toString(); if (out.length > 50_000) out = out.slice(-20_000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let current; // { resolve, reject, onCheckpoint, onMark }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  void exited.then(({ code, signal }) => current?.reject(new Error(`load generator exited (${code ?? signal}) during a job\n${out.slice(-2000)}`)));
  child.on('message', (msg) => {
    if (!current) return;
    if (msg.type === 'checkpoint') {
      const c = current;
      Promise.resolve(c.onCheckpoint(msg.name)).then(
        (data) => { if (alive(child)) child.send({ type: 'continue', data }); },
        (err) => c.reject(err));
    } else if (msg.type === 'mark') current.onMark(msg.name);
    else if (msg.type === 'result') current.resolve(msg.result);
    else if (msg.type === 'error') current.reject(new Error(`load generator: ${msg.error}`));
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`load generator not ready within ${startTimeoutMs} ms\n${out}`)); }, startTimeoutMs);
    child.on('message', function ready(msg) {
      if (msg.type !== 'ready') return;
      clearTimeout(timer);
      child.off('message', ready);
      resolve();
    });
    void exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`load generator exited (${code ?? signal}) at start\n${out}`)); });
  });
  return {
    pid: child.pid,
    alive: () => alive(child),
    run(job, { onCheckpoint = async () => ({}), onMark = () => {}, timeoutMs = 300_000 } = {}) {
      if (!alive(child)) return Promise.reject(new Error('load generator is not running'));
      if (current) return Promise.reject(new Error('load generator is busy'));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          done(new Error(`load generator (${job.kind}) did not finish within ${timeoutMs} ms\n${out.slice(-2000)}`));
        }, timeoutMs);
        const done = (err, value) => {
          if (!current) return;
          current = undefined;
          clearTimeout(timer);
          if (err) reject(err);
          else resolve(value);
        };
        current = { resolve: (v) => done(null, v), reject: (e) => done(e), onCheckpoint, onMark };
        child.send({ type: 'job', job: { ...job, hardLimitMs: timeoutMs - 5_000 } });
      });
    },
    async close() {
      if (!alive(child)) return;
      child.send({ type: 'exit' });
      const t = setTimeout(() => { if (alive(child)) child.kill('SIGKILL'); }, 3_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** One job in a load-generator process of its own. */
export async function runLoadgen(job, options = {}) {
  const lg = await openLoadgen({ label: `loadgen ${job.kind}` });
  try {
    return await lg.run(job, options);
  } finally {
    await lg.close();
  }
}

/** The filesystem type of `dir` (`stat -f -c %T`, falling back to `df --output=fstype`). */
export function fsType(dir) {
  const stat = spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' });
  if (stat.status === 0 && stat.stdout.trim()) return stat.stdout.trim();
  const df = spawnSync('df', ['--output=fstype', dir], { encoding: 'utf8' });
  const lines = df.stdout?.trim().split('\n') ?? [];
  return lines.length > 1 ? lines[lines.length - 1].trim() : 'unknown';
}

export function redisAvailable() {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function pingRedis(socketPath, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    let reply = '';
    const done = (ok) => { clearTimeout(timer); socket.destroy(); resolve(ok); };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (c) => { reply += c.toString(); if (reply.includes('\r\n')) done(reply.startsWith('+PONG')); });
    socket.on('error', () => done(false));
  });
}

/** A private redis-server on a unix socket in a new temporary folder (no TCP port, no persistence). */
export async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'concord-bench-redis-'));
  const socketPath = join(dir, 'redis.sock');
  const child = spawn('redis-server', ['--port', '0', '--unixsocket', socketPath, '--unixsocketperm', '700',
    '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child, 'redis-server');
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { out += c; });
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const unregister = onCleanup(removeDir);
  const stop = async () => {
    if (alive(child)) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    removeDir();
    unregister();
  };
  const deadline = Date.now() + 15_000;
  for (let i = 0; i < 1000; i++) {
    if (!alive(child)) { await stop(); throw new Error(`redis-server exited at start:\n${out}`); }
    if (await pingRedis(socketPath)) return { url: `unix://${socketPath}`, socketPath, stop };
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  await stop();
  throw new Error(`redis-server did not answer on ${socketPath}:\n${out}`);
}
