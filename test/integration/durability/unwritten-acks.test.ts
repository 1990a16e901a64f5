/**
 * ShareDB answers some submits without committing them, from the snapshot and the ops it read: an op it finds
 * already submitted (a client resending after a reconnect), or one transformed into a no-op. With SQLite, what a
 * submit reads may include commits still waiting for the group commit (the engine starts a document's next submit
 * as soon as the previous one is handed over). Such an answer may be an ack only if those commits are then written:
 * here they are not (the file is full), so it must be an error. Only those it depends on, though: a resent op whose
 * first submit is written is acknowledged even when a later commit it was read with is not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine, createSqliteStorage } from '@concord/server';

let dataDir = '';
let engine: Engine | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'concord-unwritten-acks-'));
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

type Outcome = { code?: unknown } | undefined;

/** What a client takes for an ack (ShareDB's agent and client, and the engine's own count). */
function acknowledged(outcome: Outcome): boolean {
  return !outcome || outcome.code === 'ERR_OP_ALREADY_SUBMITTED' || outcome.code === 'ERR_NO_OP';
}

interface Fixture {
  submit(op: Record<string, unknown>): Promise<Outcome>;
  /** Submits on a connection of its own (a client that reconnected). */
  submitAgain(op: Record<string, unknown>): Promise<Outcome>;
  /** Leaves no room in the file: the next commit that needs a page fails with SQLITE_FULL. */
  fill(): void;
  /** The document's row as the file has it. */
  stored(): { v: number; data: string };
}

async function setUp(): Promise<Fixture> {
  const storage = createSqliteStorage({ dataDir });
  engine = new Engine({ storage });
  const connection = engine.connect();
  const doc = connection.get('notes', 'n1');
  await new Promise<void>((resolve, reject) => doc.create({ k: 'v' }, 'json0', (err) => (err ? reject(err) : resolve())));
  const agent = (connection as unknown as { agent: unknown }).agent;
  const backend = engine.backend as unknown as {
    submit(agent: unknown, index: string, id: string, op: unknown, options: unknown, cb: (err?: Outcome) => void): void;
  };
  const reconnected = (engine.connect() as unknown as { agent: unknown }).agent;
  return {
    submit: (op) => new Promise((resolve) => backend.submit(agent, 'notes', 'n1', structuredClone(op), {}, (err) => resolve(err))),
    submitAgain: (op) => new Promise((resolve) => backend.submit(reconnected, 'notes', 'n1', structuredClone(op), {}, (err) => resolve(err))),
    fill: () => {
      const database = storage.db.database;
      database.pragma(`max_page_count = ${database.pragma('page_count', { simple: true }) as number}`);
    },
    stored: () => storage.db.database.prepare("SELECT v, data FROM snapshots WHERE id = 'n1'").get() as { v: number; data: string },
  };
}

describe('an answer without a commit, built on commits not yet written', () => {
  it('does not acknowledge a resent op whose first submit was not written', async () => {
    const { submit, fill, stored } = await setUp();
    fill();
    const op = { v: 1, src: 'client-a', seq: 1, op: [{ p: ['big'], oi: 'x'.repeat(512 * 1024) }] };
    // The op, and the same op resent (after a reconnect) queued behind it.
    const [first, resent] = await Promise.all([submit(op), submit(op)]);
    expect(first).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' });
    expect(acknowledged(resent)).toBe(false); // the op is not stored
    expect(resent).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' });
    expect(stored()).toEqual({ v: 1, data: '{"k":"v"}' });
  });

  it('does not acknowledge an op transformed into a no-op by an op that was not written', async () => {
    const { submit, fill, stored } = await setUp();
    fill();
    // Both delete k; the second, transformed over the first, changes nothing and is not committed.
    const first = submit({ v: 1, src: 'client-a', seq: 1, op: [{ p: ['k'], od: 'v' }, { p: ['big'], oi: 'x'.repeat(512 * 1024) }] });
    const second = submit({ v: 1, src: 'client-b', seq: 1, op: [{ p: ['k'], od: 'v' }] });
    expect(await first).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' });
    const outcome = await second;
    expect(acknowledged(outcome)).toBe(false); // k was not deleted
    expect(outcome).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' });
    expect(stored()).toEqual({ v: 1, data: '{"k":"v"}' });
  });

  it('acknowledges a resent op whose first submit is written, though a later commit it was read with is not', async () => {
    const { submit, submitAgain, fill, stored } = await setUp();
    const op = { v: 1, src: 'client-a', seq: 1, op: [{ p: ['a'], oi: 1 }] };
    expect(acknowledged(await submit(op))).toBe(true); // written at version 1
    fill();
    // Another client's op, committed next but not written (the file is full), and the first op resent after a
    // reconnect, which reads the document with that commit on it and finds itself at version 1.
    const [other, resent] = await Promise.all([
      submit({ v: 2, src: 'client-b', seq: 1, op: [{ p: ['big'], oi: 'x'.repeat(512 * 1024) }] }),
      submitAgain(op),
    ]);
    expect(other).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' });
    expect(stored()).toEqual({ v: 2, data: '{"k":"v","a":1}' });
    expect(resent).toMatchObject({ code: 'ERR_OP_ALREADY_SUBMITTED' }); // the op is stored: its client keeps it
  });

  it('still acknowledges a resent op once its first submit is written', async () => {
    const { submit, stored } = await setUp();
    const op = { v: 1, src: 'client-a', seq: 1, op: [{ p: ['k'], od: 'v' }] };
    const [first, resent] = await Promise.all([submit(op), submit(op)]);
    expect(acknowledged(first)).toBe(true);
    expect(resent).toMatchObject({ code: 'ERR_OP_ALREADY_SUBMITTED' });
    expect(stored()).toEqual({ v: 2, data: '{}' });
  });
});
