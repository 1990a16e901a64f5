/**
 * GapRecovery's replay after a pub/sub outage, on a real engine: ops committed while the pub/sub delivered nothing
 * (ShareDB's `suppressPublish` stands in for the lost messages) reach the subscribers when `replay()` runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection, Doc } from 'sharedb/lib/client/index.js';
import { Engine, createMemoryStorage } from '@concord/server';
import { waitFor } from '../../helpers/wait-for.js';

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

function call(fn: (cb: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

async function created(connection: Connection, id: string, type = 'json0'): Promise<Doc> {
  const doc = connection.get('notes', id);
  await call((cb) => doc.create({ n: 0 }, type, cb));
  return doc;
}

function outage(engine: Engine, on: boolean): void {
  (engine.backend as unknown as { suppressPublish: boolean }).suppressPublish = on;
}

describe('GapRecovery.replay', () => {
  it('delivers the ops missed on every document, even when one document lost the ops it would start from', async () => {
    const storage = createMemoryStorage();
    engine = new Engine({ storage });
    const writer = engine.connect();
    const a = await created(writer, 'a');
    const b = await created(writer, 'b');
    const reader = engine.connect();
    const readA = reader.get('notes', 'a');
    const readB = reader.get('notes', 'b');
    await call((cb) => readA.subscribe(cb));
    await call((cb) => readB.subscribe(cb));
    const errorsOfA: unknown[] = [];
    readA.on('error', (err) => errorsOfA.push(err));

    // The outage: committed, never delivered.
    outage(engine, true);
    for (let i = 0; i < 3; i++) await call((cb) => a.submitOp([{ p: ['n'], na: 1 }], {}, cb));
    await call((cb) => b.submitOp([{ p: ['n'], na: 1 }], {}, cb));
    outage(engine, false);
    // Retention pruned a's ops below version 3 meanwhile: the reader (at version 1) cannot get 1 and 2 back.
    await storage.history!.pruneOps('notes', 'a', 3);

    expect(await engine.gaps.replay()).toBe(2); // b's op, and the one op of a still stored (at 3)
    await waitFor('the op missed on b', () => readB.version === 2);
    expect(readB.data).toEqual({ n: 1 });
    // a: the op still stored is delivered, so its subscriber learns it is behind; the stock client fetches from its
    // version and is told those ops are gone (the Concord client recovers from that), instead of waiting unaware.
    await waitFor('a told it is behind', () => errorsOfA.length > 0);
    expect(errorsOfA[0]).toMatchObject({ code: 'ERR_HISTORY_PRUNED' });
  });

  it('replays ops missed before a presence message that names a later version', async () => {
    engine = new Engine({ storage: createMemoryStorage() });
    const writer = engine.connect();
    const a = await created(writer, 'a', 'json1');
    const reader = engine.connect();
    const readA = reader.get('notes', 'a');
    await call((cb) => readA.subscribe(cb));
    await call((cb) => reader.getDocPresence('notes', 'a').subscribe(cb));

    outage(engine, true);
    for (let i = 0; i < 2; i++) await call((cb) => a.submitOp(['n', { ena: 1 }], {}, cb));
    outage(engine, false);
    // The writer's cursor, at the version it has (3), arrives over the pub/sub before the replay. A presence message
    // is not an op: this instance has still not delivered versions 1 and 2.
    const cursor = writer.getDocPresence('notes', 'a').create('writer-cursor');
    await call((cb) => cursor.submit({ x: 1 }, cb));

    expect(await engine.gaps.replay()).toBe(2);
    await waitFor('the ops missed on a', () => readA.version === 3);
    expect(readA.data).toEqual({ n: 2 });
  });
});
