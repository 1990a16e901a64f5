/**
 * DURABILITY=process: an op acknowledged to a client survives `kill -9` of the server. A real child server on one
 * SQLite folder, under load from four stock clients on json0, json1, text-unicode and rich-text documents, is
 * SIGKILLed at seeded random moments, five times (KILL_CYCLES), restarted on the same folder each time with the load
 * continuing. After every kill the file is read directly: every acknowledged marker is in the log and the snapshot,
 * whatever is stored beyond the acknowledged had left a client and was not yet acknowledged, each snapshot equals
 * the replay of its log, versions are contiguous. Replay the random choices of a run with KILL_SEED=<seed printed>.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildServer } from '../../helpers/child-server.js';
import { COLLECTION, DOCS, Ledger } from './marker-load.js';
import { describeFigures, killCycle } from './kill-cycle.js';
import { checkStore, readStore } from './store-check.js';

/** Kills per run (KILL_CYCLES=20 for a longer soak). */
const CYCLES = Number(process.env['KILL_CYCLES'] ?? 5);
const dataDir = mkdtempSync(join(tmpdir(), 'concord-kill9-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('kill -9 under load (DURABILITY=process, SQLite)', () => {
  it(`loses no acknowledged op and stores nothing beyond what was in flight, over ${CYCLES} kills`, async () => {
    const seed = Number(process.env['KILL_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`kill -9 test: seed ${seed} (KILL_SEED=${seed} replays the kill moments and op choices)`);
    const started = Date.now();
    const ledger = new Ledger();
    const totals = { acknowledged: 0, stored: 0, inFlight: 0, inFlightSent: 0, storedNotAcked: 0 };
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const result = await killCycle({ dataDir, cycle, seed, ledger, createDocs: cycle === 1, env: { DURABILITY: 'process' } });
      const { figures } = result;
      console.log(`kill run ${cycle}/${CYCLES} (seed ${seed}, SIGKILL ${result.killAtMs} ms after the first ack): ${describeFigures(figures)}`);
      expect(result.exit, `the server died before the kill:\n${result.output}`).toEqual({ code: null, signal: 'SIGKILL' });
      expect(result.check.problems).toEqual([]);
      expect(figures.failed).toBe(0);
      expect(figures.acknowledged).toBeGreaterThan(0);
      expect(figures.storedNotAcked).toBeLessThanOrEqual(figures.inFlightSent);
      totals.acknowledged += figures.acknowledged;
      totals.stored += figures.stored;
      totals.inFlight += figures.inFlight;
      totals.inFlightSent += figures.inFlightSent;
      totals.storedNotAcked += figures.storedNotAcked;
    }
    console.log(`kill -9 totals over ${CYCLES} runs: ${describeFigures({ ...totals, failed: 0 })}; ${Date.now() - started} ms`);
    // The kills landed under load: ops were acknowledged, and some were still in flight when the server died.
    expect(totals.acknowledged).toBeGreaterThan(0);
    expect(totals.inFlight).toBeGreaterThan(0);

    // A last restart on the same folder serves exactly what the file holds, and a clean stop keeps it.
    const before = readStore(dataDir, COLLECTION);
    const server = await startChildServer({ STORAGE: 'sqlite', DATA_DIR: dataDir });
    try {
      for (const spec of DOCS) {
        const stored = before.find((doc) => doc.id === spec.id);
        const res = await fetch(`${server.httpUrl}/api/docs/${COLLECTION}/${spec.id}`);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ v: stored?.v, type: spec.type, data: stored?.data });
      }
    } finally {
      server.kill('SIGTERM');
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const after = readStore(dataDir, COLLECTION);
    expect(isDeepStrictEqual(after, before)).toBe(true);
    expect(checkStore(after, ledger).problems).toEqual([]);
  }, 120_000);
});
