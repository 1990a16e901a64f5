import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSqliteStorage } from '../../../server/dist/storage/index.js';
import { commit, createOp } from './callbacks.js';
import { useTempDir } from './temp-dir.js';

/** WAL checkpoints run in a worker thread, not in the commits on the event loop. */
describe('SQLite background checkpoints', () => {
  const dir = useTempDir();

  it('copies the WAL into the database file from a worker, long before the writer would checkpoint', async () => {
    const storage = createSqliteStorage({ dataDir: dir.path });
    try {
      expect(storage.db.database.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
      const sizeBefore = statSync(storage.filename).size;
      const text = 'x'.repeat(2000);
      await Promise.all(Array.from({ length: 400 }, (_, i) => commit(storage.db, 'docs', `d${i}`, ...createOp({ text }))));
      const wal = statSync(`${storage.filename}-wal`).size;
      expect(wal).toBeGreaterThan(400 * 2000); // the commits went to the WAL...
      expect(wal / 4096).toBeLessThan(10_000); // ...far below the writer's own checkpoint threshold
      const deadline = Date.now() + 5000;
      while (statSync(storage.filename).size < sizeBefore + 400 * 2000 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(statSync(storage.filename).size).toBeGreaterThan(sizeBefore + 400 * 2000); // ...and reached the file
    } finally {
      await storage.close();
    }
  });
});
