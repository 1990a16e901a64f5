/**
 * The hostile-input suite against the library in this process (Express, port 0, the embedded SQLite store), set up
 * as the README's production settings say: JWT (HS256) authentication, rules giving role `user` read, create, write
 * and presence on every collection, an Origin allowlist, and the default limits except a 256 KiB message cap and a
 * 384 KiB document cap (so that the oversize and size-bomb cases stay small). Any unhandled error in the transport
 * would fail this very process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJwtAuthenticator, createSqliteStorage, createValidator } from '@concord/server';
import { DEFAULT_LIMITS } from '@concord/shared';
import { startTestServer } from '../helpers/test-server.js';
import { ALL_CASES } from './cases/index.js';
import { defineHostileSuite, ORIGIN, RULES, SECRET } from './suite.js';

const MAX_MESSAGE_BYTES = 256 * 1024;

defineHostileSuite('hostile input, in-process server', ALL_CASES, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'concord-hostile-'));
  const server = await startTestServer({
    auth: createJwtAuthenticator({ secret: SECRET }),
    rules: RULES,
    origins: { kind: 'list', origins: [ORIGIN] },
    storage: createSqliteStorage({ dataDir }),
    validator: createValidator({ maxDocBytes: 384 * 1024 }),
    limits: { maxMessageBytes: MAX_MESSAGE_BYTES },
  });
  return {
    endpoint: { httpUrl: server.httpUrl, wsUrl: server.wsUrl },
    inProcess: true,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    opsPerSec: DEFAULT_LIMITS.opsPerSec,
    alive: () => server.http.listening,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
