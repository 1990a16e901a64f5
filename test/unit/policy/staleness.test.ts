import { describe, expect, it } from 'vitest';
import { limitTransformDistance } from '../../../server/dist/engine/staleness.js';

describe('limitTransformDistance', () => {
  it('answers an op too far behind ERR_HISTORY_PRUNED before reading any op, and passes the rest through', async () => {
    let reads = 0;
    const db = {
      getOpsToSnapshot(_c: string, _id: string, from: number, snapshot: { v: number }, _o: unknown, cb: (err: unknown, ops?: unknown) => void) {
        reads++;
        cb(null, Array.from({ length: snapshot.v - from }, (_, i) => ({ v: from + i })));
      },
    };
    limitTransformDistance(db, 100);
    limitTransformDistance(db, 100); // wrapping twice is a no-op
    const call = (from: number, v: number) => new Promise<{ err: unknown; ops?: unknown[] }>((resolve) =>
      db.getOpsToSnapshot('c', 'd', from, { v }, {}, (err, ops) => resolve({ err, ops: ops as unknown[] })));
    const near = await call(900, 1000);
    expect(near.err).toBeNull();
    expect(near.ops).toHaveLength(100);
    const far = await call(899, 1000);
    expect(far.err).toMatchObject({ code: 'ERR_HISTORY_PRUNED' });
    expect(reads).toBe(1);
  });
});
