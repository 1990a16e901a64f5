/**
 * REST while the server stops, on the SQLite and the memory store alike: once close() has begun, new `/api` requests
 * answer 503 ERR_SHUTTING_DOWN (the memory store used to keep serving, the SQLite store to fail with 500 once closed),
 * while a request already in flight finishes. A commit held by a middleware keeps the stop in progress, deterministically.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStorage, createSqliteStorage, type Storage } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { expectError, http } from '../rest/rest-helpers.js';

const dirs: string[] = [];
let server: TestServer | undefined;
/** Releases the commits a test holds: a failed assertion must not leave the stop waiting for them. */
let releaseHeld = (): void => undefined;

afterEach(async () => {
  releaseHeld();
  await server?.close();
  server = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const stores: Array<[string, () => Storage]> = [
  ['memory', () => createMemoryStorage()],
  ['sqlite', () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-rest-stop-'));
    dirs.push(dir);
    return createSqliteStorage({ dataDir: dir });
  }],
];

describe.each(stores)('REST on the %s store while the server stops', (_name, storage) => {
  it('refuses new requests with 503 ERR_SHUTTING_DOWN and lets the one in flight finish', async () => {
    server = await startTestServer({ storage: storage() });
    const req = http(server.httpUrl);
    expect((await req('POST', '/api/docs/notes/stop', { type: 'json0', data: { n: 0 } })).status).toBe(201);

    // Commits wait here while `holding`: the stop waits for them, so it stays in progress until they are released.
    let holding = true;
    const held: Array<() => void> = [];
    const release = (releaseHeld = (): void => {
      holding = false;
      held.splice(0).forEach((commit) => commit());
    });
    server.collab.backend.use('commit', (_context, next) => (holding ? held.push(() => next()) : next()));
    const inFlight = req('POST', '/api/docs/notes/stop/ops', { v: 1, op: [{ p: ['n'], na: 1 }] });
    await waitFor('the REST commit to be held', () => held.length === 1);

    let stopped = false;
    const closing = server.collab.close().then(() => (stopped = true));
    for (const [method, path, body] of [
      ['GET', '/api/docs/notes/stop', undefined],
      ['POST', '/api/docs/notes/stop/ops', { v: 2, op: [{ p: ['n'], na: 1 }] }],
      ['POST', '/api/docs/notes/other', { type: 'json0', data: {} }],
      ['GET', '/api/docs/notes/stop/ops', undefined],
    ] as const) {
      expectError(await req(method, path, body), 503, 'ERR_SHUTTING_DOWN');
    }
    expect(stopped).toBe(false);

    release();
    const answer = await inFlight;
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toEqual({ v: 2 });
    await closing;

    // Stopped (the store closed) and the HTTP server not yet: still the same answer, never a 500 or a document.
    expectError(await req('GET', '/api/docs/notes/stop'), 503, 'ERR_SHUTTING_DOWN');
  });
});
