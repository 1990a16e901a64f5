/**
 * Restarts on the embedded store: a clean stop (SIGTERM) and a kill -9, each followed by a start on the same
 * DATA_DIR, keep every document, its version, its data and every history read (`?version=N` behind milestones,
 * `/ops` ranges with `m.ts` / `m.user`, `?at=<ts>`) answering exactly as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HISTORY_COLLECTION, runRestartScenario } from './restart-scenario.js';
import { readMilestones } from './store-check.js';

const MILESTONE_INTERVAL = 5;
let dataDir = '';

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'concord-restart-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('restarting on the same SQLite folder', () => {
  it('keeps every document, version and history read through a SIGTERM restart and a kill -9 restart', async () => {
    await runRestartScenario({
      env: { STORAGE: 'sqlite', DATA_DIR: dataDir },
      milestoneInterval: MILESTONE_INTERVAL,
      afterCleanStop: () => {
        // Reads of old versions go through milestones: they exist in the file, every MILESTONE_INTERVAL versions.
        const milestones = readMilestones(dataDir, HISTORY_COLLECTION);
        expect(milestones.get('json0')).toEqual([5, 10]);
        expect(milestones.get('text')).toEqual([5, 10]);
      },
    });
  }, 90_000);
});
