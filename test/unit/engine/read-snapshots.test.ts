/**
 * The engine's read check on the snapshots a fetch, subscribe or query returns: synchronous while the authorizer
 * decides at once (a promise-returning middleware would wait for Node's process.nextTick queue, which carries the
 * fan-out of every op being sent at the time), and one snapshot after the other once it does not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, createMemoryStorage } from '@concord/server';
import type { AccessRequest, Authorizer } from '@concord/server';

type Snapshot = { id: string; v: number; type: string | null };

function setup(authorize: Authorizer['authorize']) {
  const engine = new Engine({ storage: createMemoryStorage(), policies: { authorizer: { authorize } } });
  const agent = { custom: { session: { principal: { sub: 'ana', roles: [] } } } };
  /** Triggers readSnapshots; `settledAtOnce` tells whether the middleware chain finished before trigger returned. */
  const read = (snapshots: Snapshot[]) => {
    const rejected: string[] = [];
    const request = {
      collection: 'notes', snapshots, snapshotType: 'current',
      rejectSnapshotRead: (snapshot: Snapshot, err: { code?: string }) => void rejected.push(`${snapshot.id}:${err.code}`),
    };
    let finished = false;
    const done = new Promise<unknown>((resolve) => {
      (engine.backend as unknown as { trigger(a: string, ag: unknown, r: unknown, cb: (err?: unknown) => void): void })
        .trigger('readSnapshots', agent, request, (err) => {
          finished = true;
          resolve(err);
        });
    });
    return { settledAtOnce: finished, done, rejected };
  };
  return { engine, read };
}

const docs: Snapshot[] = [
  { id: 'open', v: 3, type: 'json1' },
  { id: 'missing', v: 0, type: null },
  { id: 'secret', v: 5, type: 'json1' },
];
/** Read everything but `secret`; create only `missing`. */
const decide = ({ action, id }: AccessRequest): boolean =>
  action === 'read' ? id === 'open' : action === 'create' && id === 'missing';

describe('readSnapshots', () => {
  let engine: Engine | undefined;
  afterEach(async () => void (await engine?.close()));

  it('decides at once with a synchronous authorizer: read, or create for a document that does not exist', async () => {
    const setupResult = setup(decide);
    engine = setupResult.engine;
    const result = setupResult.read(docs);
    expect(result.settledAtOnce).toBe(true);
    expect(await result.done).toBeUndefined();
    expect(result.rejected).toEqual(['secret:ERR_FORBIDDEN']);
  });

  it('waits for an asynchronous authorizer, one snapshot after the other, with the same decisions', async () => {
    const asked: string[] = [];
    let inFlight = 0;
    const setupResult = setup(async (request) => {
      asked.push(`${request.action} ${request.id}`);
      expect(++inFlight).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return decide(request);
    });
    engine = setupResult.engine;
    const result = setupResult.read(docs);
    expect(result.settledAtOnce).toBe(false);
    expect(await result.done).toBeUndefined();
    expect(result.rejected).toEqual(['secret:ERR_FORBIDDEN']);
    expect(asked).toEqual(['read open', 'read missing', 'create missing', 'read secret']);
  });
});
