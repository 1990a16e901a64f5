// The README's quick start, run as a user would: `npm start` (here on a free port and a temporary data folder),
// /healthz, an edit from the stock ShareDB client over ws, the edit visible over REST, then SIGTERM and a clean exit.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import ShareDBClient from 'sharedb/lib/client/index.js';

const fail = (message) => {
  console.error(`quickstart: ${message}`);
  process.exit(1);
};
const dataDir = mkdtempSync(join(tmpdir(), 'concord-quickstart-'));
const child = spawn('npm', ['start', '--silent'], {
  env: { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
const url = await new Promise((resolve) => {
  const timer = setTimeout(() => resolve(undefined), 120_000);
  const onData = (chunk) => {
    output += chunk;
    const match = /listening on (http:\/\/\S+)/.exec(output);
    if (match) {
      clearTimeout(timer);
      resolve(match[1]);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
});
if (!url) {
  child.kill('SIGKILL');
  fail(`npm start did not print "listening on": \n${output}`);
}
const health = await fetch(`${url}/healthz`).then((r) => r.json(), (e) => ({ error: String(e) }));
if (health.status !== 'ok') fail(`/healthz: ${JSON.stringify(health)}`);

const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
const connection = new ShareDBClient.Connection(socket);
const doc = connection.get('quickstart', `doc-${Date.now()}`);
const call = (fn) => new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
await call((cb) => doc.create({ greeting: 'hello' }, cb));
await call((cb) => doc.submitOp([{ p: ['greeting'], od: 'hello', oi: 'hello, world' }], cb));
connection.close();
const rest = await fetch(`${url}/api/docs/quickstart/${doc.id}`).then((r) => r.json());
if (rest.v !== 2 || rest.data?.greeting !== 'hello, world') fail(`REST shows ${JSON.stringify(rest)}`);

// SIGTERM goes to the server process itself (as `docker stop` does to the image's node), not to npm; npm then
// exits with the server's own exit code.
const server = serverPid(child.pid);
if (!server) fail('cannot find the node server/dist/main.js process under npm start');
process.kill(server, 'SIGTERM');
const { code, signal } = await exited;
rmSync(dataDir, { recursive: true, force: true });
if (code !== 0) fail(`npm start exited with ${code ?? signal} after SIGTERM:\n${output}`);
console.log(`quickstart: npm start → ${url}, /healthz ok, stock client edit at v${rest.v} visible over REST, SIGTERM → exit 0`);

function serverPid(root) {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' }).trim().split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)).filter(Boolean)
    .map(([, pid, ppid, args]) => ({ pid: Number(pid), ppid: Number(ppid), args }));
  const descendants = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const row of rows) if (descendants.has(row.ppid) && !descendants.has(row.pid)) grew = descendants.add(row.pid);
  }
  return rows.find((row) => descendants.has(row.pid) && /^\S*node server\/dist\/main\.js/.test(row.args))?.pid;
}
