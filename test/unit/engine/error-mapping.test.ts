/**
 * A request that got past the REST gate before the stop began may still meet the closed SQLite store: it answers
 * like the gate (503 ERR_SHUTTING_DOWN), not as an internal error. The error is the store's own, read back after close.
 */
import { describe, expect, it } from 'vitest';
import { createSqliteStorage } from '../../../server/dist/storage/index.js';
import { toConcordError } from '../../../server/dist/engine/error-mapping.js';
import { getSnapshot } from '../storage/callbacks.js';
import { useTempDir } from '../storage/temp-dir.js';

describe('toConcordError', () => {
  const dir = useTempDir();

  it('maps a read from the closed SQLite store to 503 ERR_SHUTTING_DOWN', async () => {
    const storage = createSqliteStorage({ dataDir: dir.path });
    await storage.close();
    const failure = await getSnapshot(storage.db, 'notes', 'x').then(() => undefined, (err: unknown) => err);
    expect(failure, 'a read from a closed store fails').toBeDefined();
    const mapped = toConcordError(failure);
    expect(mapped.code).toBe('ERR_SHUTTING_DOWN');
    expect(mapped.status).toBe(503);
  });
});
