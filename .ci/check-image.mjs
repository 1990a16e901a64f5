// No Docker engine runs on CI machines, so this checks what can be checked without one:
// - docker-compose.yml parses and wires MongoDB (replica set), Redis and Concord with secrets from an env file;
// - the Dockerfile's runtime ENV and CMD, run here exactly as the image would run them (node directly, production
//   defaults, a data folder), serve /healthz, pass the HEALTHCHECK command, and stop cleanly on SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

const fail = (message) => {
  console.error(`check-image: ${message}`);
  process.exit(1);
};

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true });
const services = compose?.services ?? {};
if (!services.mongo?.command?.includes('--replSet')) fail('compose: mongo must run as a replica set');
if (!services.redis) fail('compose: redis service missing');
const concord = Object.entries(services).filter(([name]) => name.startsWith('concord'));
if (concord.length < 2) fail('compose: expected two concord instances');
for (const [name, service] of concord) {
  if (service.env_file !== '.env') fail(`compose: ${name} must read secrets from env_file .env`);
  if (!service.environment?.MONGO_URL?.includes('replicaSet=')) fail(`compose: ${name} MONGO_URL must name the replica set`);
  if (!service.environment?.REDIS_URL) fail(`compose: ${name} needs REDIS_URL`);
}
console.log(`check-image: docker-compose.yml parses: services ${Object.keys(services).join(', ')}`);

// The runtime stage is everything after the last FROM.
const dockerfile = readFileSync('Dockerfile', 'utf8').replace(/\\\n/g, ' ');
const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
const env = {};
for (const line of runtime.split('\n').filter((l) => l.startsWith('ENV '))) {
  for (const [, key, value] of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[key] = value;
}
const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)?.[1] ?? 'null');
const health = JSON.parse(/HEALTHCHECK .*?CMD (\[.*\])$/m.exec(runtime)?.[1] ?? 'null');
if (!cmd || cmd[0] !== 'node') fail('Dockerfile CMD must run node directly (exec form) so SIGTERM reaches it');
if (!health) fail('Dockerfile needs a HEALTHCHECK in exec form');
if (!/^USER node$/m.test(runtime)) fail('Dockerfile runtime stage must run as a non-root user');
if (env.HOST !== '0.0.0.0') fail('Dockerfile must set HOST=0.0.0.0');

const dataDir = mkdtempSync(join(tmpdir(), 'concord-image-'));
const childEnv = {
  ...process.env, ...env, DATA_DIR: dataDir, PORT: '0',
  AUTH_JWT_SECRET: 'check-image-secret-check-image-secret-0123', LOG_LEVEL: 'warn',
};
const child = spawn(cmd[0], cmd.slice(1), { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
const port = await new Promise((resolve) => {
  const timer = setTimeout(() => resolve(undefined), 20_000);
  const onData = (chunk) => {
    output += chunk;
    const match = /listening on http:\/\/[^:]+:(\d+)/.exec(output);
    if (match) {
      clearTimeout(timer);
      resolve(match[1]);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
});
if (!port) {
  child.kill('SIGKILL');
  fail(`the image's CMD did not start:\n${output}`);
}
const healthz = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
if (healthz !== 200) fail(`/healthz answered ${healthz}`);
const probe = spawnSync(health[0], health.slice(1), { env: { ...childEnv, PORT: port }, timeout: 5000 });
if (probe.status !== 0) fail(`HEALTHCHECK command failed with ${probe.status}`);
child.kill('SIGTERM');
const { code } = await exited;
rmSync(dataDir, { recursive: true, force: true });
if (code !== 0) fail(`CMD exited with ${code} after SIGTERM:\n${output}`);
console.log(`check-image: CMD ${cmd.join(' ')} served /healthz on port ${port} with the image's ENV, HEALTHCHECK passed, SIGTERM → exit 0`);
