/**
 * The README's production settings followed literally, on the standalone server as users run it (a child process):
 * NODE_ENV=production, AUTH_JWT_SECRET, PUBLIC_ORIGIN, METRICS_TOKEN, a CONFIG_FILE with the rules, the embedded
 * SQLite store, and MAX_MESSAGE_BYTES=262144. The first three cases of every category run against it (the ones that
 * need a limit only the in-process server sets are skipped); the process must still be running after each.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS } from '@concord/shared';
import { startChildServer } from '../helpers/child-server.js';
import type { HostileCase } from './case.js';
import { ALL_CASES } from './cases/index.js';
import { defineHostileSuite, ORIGIN, RULES, SECRET } from './suite.js';

const MAX_MESSAGE_BYTES = 262_144;
const PER_CATEGORY = 3;

const selected: HostileCase[] = [];
for (const testCase of ALL_CASES) {
  if (testCase.inProcessOnly) continue;
  if (selected.filter((c) => c.category === testCase.category).length < PER_CATEGORY) selected.push(testCase);
}

defineHostileSuite('hostile input, standalone server with the production settings', selected, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'concord-hostile-prod-'));
  const configFile = join(dir, 'concord.json');
  writeFileSync(configFile, JSON.stringify(RULES));
  const child = await startChildServer({
    NODE_ENV: 'production',
    AUTH_JWT_SECRET: SECRET,
    PUBLIC_ORIGIN: ORIGIN,
    METRICS_TOKEN: 'hostile-metrics-token-0123456789',
    CONFIG_FILE: configFile,
    DATA_DIR: join(dir, 'data'),
    MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
  });
  return {
    endpoint: { httpUrl: child.httpUrl, wsUrl: child.wsUrl },
    inProcess: false,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    opsPerSec: DEFAULT_LIMITS.opsPerSec,
    alive: () => child.process.exitCode === null && child.process.signalCode === null,
    async close() {
      child.kill('SIGTERM');
      await child.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
