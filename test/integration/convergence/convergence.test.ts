/**
 * Convergence over real WebSockets, per OT type: 12 stock ShareDB clients edit one document at once with seeded
 * random ops (same-position inserts, deletes, moves, contended keys, overlapping formatting, astral characters),
 * never waiting for acks. Afterwards every client must hold the server's snapshot at the server's version, every
 * marker a client inserted must be there exactly once, every op must have been acknowledged and committed (or
 * acknowledged as transformed into a no-op), and the server must have really transformed concurrent ops.
 *
 * The seed comes from `SEED` (replay: `SEED=123 npx vitest run test/integration/convergence`) or the clock, and
 * is printed per type. It fixes each client's op choices and pauses; the interleaving still depends on timing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import ShareDB from 'sharedb';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import type { StockClient } from '../../helpers/stock-client.js';
import { editConcurrently, openEditors, plain, settle, type EditPlan, type Editor } from './drive.js';
import type { OpGenerator } from './generator.js';
import { json0Generator } from './generators/json0.js';
import { json1Generator } from './generators/json1.js';
import { richTextGenerator } from './generators/rich-text.js';
import { textUnicodeGenerator } from './generators/text-unicode.js';
import { seedFrom } from './random.js';
import { isWellFormed } from './text-model.js';

const CLIENTS = 12;
// One op in flight and up to three pending per client: each pending op multiplies the transforms every incoming
// op costs that client, and 12 clients plus the server share one thread here.
const PLAN: EditPlan = { opsPerClient: 60, minOpsPerClient: 10, editMs: 2_500, maxOutstanding: 4 };
const SETTLE_MS = 45_000;
// Setup, the edit phase (longer on a loaded machine) and the settle wait, with room to spare on two busy cores.
const TEST_TIMEOUT_MS = 120_000;

let server: TestServer | undefined;
const clients: StockClient[] = [];

// ShareDB's process-wide logger prints the stack of every error it replies with at `info`, and the server does not
// route it to its own logger: each benign ERR_NO_OP ack (an op transformed into nothing) would print a stack here.
const shareDbInfo = ShareDB.logger.info;
beforeAll(() => ShareDB.logger.setMethods({ info: () => undefined }));
afterAll(() => ShareDB.logger.setMethods({ info: shareDbInfo }));

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
  server = undefined;
});

describe.each([json0Generator, json1Generator, richTextGenerator, textUnicodeGenerator])('convergence of $type', (generator) => {
  it(`${CLIENTS} clients editing one document concurrently converge on the server's snapshot`, async () => {
    const seed = seedFrom(process.env);
    console.log(`[convergence ${generator.type}] seed=${seed} (replay with SEED=${seed})`);
    server = await startTestServer();
    const id = `${generator.type}-${seed}`;
    const editors = await openEditors(server, generator, id, seed, CLIENTS, clients);

    await editConcurrently(editors, generator, PLAN);
    const state = await settle(server, editors, id, SETTLE_MS);

    const stats = server.collab.engine.stats;
    const acked = sum(editors, (e) => e.acked);
    const noOps = sum(editors, (e) => e.noOps);
    console.log(
      `[convergence ${generator.type}] seed=${seed} clients=${CLIENTS} submitted=${sum(editors, (e) => e.submitted)} ` +
        `acked=${acked} noOpAcks=${noOps} serverVersion=${state.v} applied=${state.v - 1} ` +
        `transformedSubmits=${stats.transformedSubmits} transforms=${stats.transforms} stats=${JSON.stringify(stats)}`,
    );

    for (const editor of editors) expectClientConverged(editor, state, generator);
    // Every client really took part (the edit phase is bounded by time as well as by op count).
    expect(Math.min(...editors.map((e) => e.submitted))).toBeGreaterThanOrEqual(PLAN.minOpsPerClient);
    // Ops the server committed (all but the create) are exactly the acked ops that were not transformed away.
    expect(state.v - 1).toBe(acked - noOps);
    expect(stats.committed).toBe(state.v);
    expect(stats.submitted).toBe(acked + 1);
    // Nothing was rejected; the engine currently counts the ERR_NO_OP skips among its rejections, so allow those.
    expect([0, noOps]).toContain(stats.rejected);
    expect(stats.transformedSubmits).toBeGreaterThan(0);
    if (generator.textOf) expect(isWellFormed(generator.textOf(state.data))).toBe(true);
  }, TEST_TIMEOUT_MS);
});

function expectClientConverged(editor: Editor, state: { v: number; data: unknown }, generator: OpGenerator): void {
  const who = `client ${editor.index}`;
  expect(editor.errors, `${who} errors`).toEqual([]);
  expect(editor.failures, `${who} failed submits`).toEqual([]);
  expect(editor.acked, `${who} acks`).toBe(editor.submitted);
  expect(editor.doc.hasPending(), `${who} pending`).toBe(false);
  expect(editor.doc.version, `${who} version`).toBe(state.v);
  expect(plain(editor.doc.data), `${who} data`).toEqual(plain(state.data));
  const missing = editor.markers.filter((m) => generator.markerCount(state.data, m) !== 1);
  expect(missing, `${who} markers not present exactly once`).toEqual([]);
}

function sum(editors: Editor[], of: (editor: Editor) => number): number {
  return editors.reduce((total, editor) => total + of(editor), 0);
}
