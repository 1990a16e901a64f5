/**
 * Pruned-history recovery against a real server (the library in Express, memory storage with a milestone every 5
 * versions, retention keeping 5 versions, pruned after every commit that reaches a milestone): a client cut off by
 * a TCP proxy edits while another client makes enough edits that the server prunes the ops the offline edits would
 * have to be transformed against. When the network returns, the server refuses those edits with ERR_HISTORY_PRUNED,
 * and the client package recovers them: text-unicode and rich-text by a three-way merge onto the current document
 * (both users' text present, client and server converged), json1 and json0 as a conflict event for the application
 * (the server document untouched by the stale edits).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Doc } from 'sharedb/lib/client/index.js';
import { Delta, openDoc, recoverPrunedEdits, submitEdit, type CollabClient, type PrunedConflict, type PrunedMerge } from '@concord/client';
import { createMemoryStorage, type Storage } from '@concord/server';
import type { TypeName } from '@concord/shared';
import type { TestServer } from '../../helpers/test-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import type { TcpProxy } from './tcp-proxy.js';
import { client, docId, proxyTo, runCleanup, server, serverDoc } from './client-fixture.js';

const KEEP = 5;
afterEach(runCleanup);

interface Setup {
  server: TestServer;
  storage: Storage;
  proxy: TcpProxy;
}

async function setup(collection: string, options: Parameters<typeof server>[0] = {}): Promise<Setup> {
  const storage = createMemoryStorage({ milestoneInterval: 5 });
  const s = await server({
    ...options,
    storage,
    authorizer: { authorize: async () => true },
    retention: { policies: { [collection]: { keepVersions: KEEP } }, intervalMs: 0, afterCommit: true },
  });
  return { server: s, storage, proxy: await proxyTo(s) };
}

/** Two clients on one document; `alice` goes through the proxy. */
async function twoClients<T>(s: Setup, collection: string, type: TypeName, data: T, recovery: Parameters<typeof openDoc<T>>[4] = {},
  maxMessageBytes?: number) {
  const id = docId();
  const limit = maxMessageBytes ? { maxMessageBytes } : {};
  const alice = client(s.proxy.rewrite(s.server.wsUrl), limit);
  const bob = client(s.server.wsUrl, limit);
  const aDoc = await openDoc<T>(alice.c.connection, collection, id, { type, data }, recovery);
  const bDoc = await openDoc<T>(bob.c.connection, collection, id, { type, data });
  return { id, alice, bob, aDoc, bDoc };
}

/** Cuts alice off, lets `offline` edit her doc, has bob make `edits` edits, waits until her base is pruned. */
async function diverge(s: Setup, collection: string, parts: {
  id: string; alice: { c: CollabClient }; bob: { c: CollabClient }; aDoc: Doc; offline: () => void; edit: (i: number) => void; edits: number;
}): Promise<number> {
  const base = parts.aDoc.version!;
  s.proxy.cut();
  await waitFor('alice offline', () => parts.alice.c.status.state === 'offline');
  parts.offline();
  expect(parts.alice.c.status.pending).toBeGreaterThan(0);
  for (let i = 0; i < parts.edits; i++) {
    parts.edit(i);
    await waitFor('bob acknowledged', () => parts.bob.c.status.pending === 0);
  }
  await waitFor('alice\'s base pruned', async () => ((await s.storage.history!.oldestOpVersion(collection, parts.id)) ?? 0) > base);
  return base;
}

describe('recovering edits refused because their history was pruned', () => {
  it('text-unicode: merges the offline edits into the current text and converges', async () => {
    const s = await setup('pads');
    const merges: PrunedMerge<string>[] = [];
    const conflicts: unknown[] = [];
    const parts = await twoClients<string>(s, 'pads', 'text-unicode', 'The plan: meet at noon.',
      { recovery: { onMerge: (m) => merges.push(m), onConflict: (c) => conflicts.push(c) } });
    const { aDoc, bDoc } = parts;
    const acked: unknown[] = [];
    const base = await diverge(s, 'pads', {
      ...parts,
      offline: () => {
        aDoc.submitOp([8, ' (Alice)'], { source: 'alice' }, (err) => acked.push(err ?? 'ok'));
        aDoc.submitOp([26, { d: 'noon' }, 'one'], { source: 'alice' }, (err) => acked.push(err ?? 'ok'));
      },
      // Bob edits both ends: "Bob> " in front once, then " +N" at the end.
      edit: (i) => bDoc.submitOp(i === 0 ? ['Bob> '] : [(bDoc.data as string).length, ` +${i}`]),
      edits: 12,
    });
    expect(aDoc.data).toBe('The plan (Alice): meet at one.');
    const before = await serverDoc(s.server, 'pads', parts.id);
    expect(before.data).toBe('Bob> The plan: meet at noon. +1 +2 +3 +4 +5 +6 +7 +8 +9 +10 +11');

    s.proxy.restore();
    const expected = 'Bob> The plan (Alice): meet at one. +1 +2 +3 +4 +5 +6 +7 +8 +9 +10 +11';
    await waitFor('merged and acknowledged', () => parts.alice.c.status.state === 'online' && parts.alice.c.status.pending === 0 &&
      aDoc.data === expected, 15_000);
    const after = await serverDoc(s.server, 'pads', parts.id);
    expect(after.data).toBe(expected);
    expect(aDoc.version).toBe(after.v);
    expect(merges).toHaveLength(1);
    expect(merges[0]).toMatchObject({
      collection: 'pads', id: parts.id, type: 'text-unicode', baseVersion: base, base: 'The plan: meet at noon.',
      local: 'The plan (Alice): meet at one.', current: before.data, currentVersion: before.v, merged: expected,
    });
    expect((merges[0]!.error as { code?: string }).code).toBe('ERR_HISTORY_PRUNED');
    expect(conflicts).toEqual([]);
    expect(acked).toEqual(['ok', 'ok']); // the original submits are acknowledged with the merged op
    expect(parts.alice.errors).toEqual([]);

    // Still live both ways.
    await waitFor('bob has the merge', () => bDoc.data === expected);
    bDoc.submitOp([0, { d: 'Bob> ' }]);
    await waitFor('alice sees bob', () => aDoc.data === expected.slice(5));
    aDoc.submitOp([0, '!']);
    await waitFor('bob sees alice', () => bDoc.data === `!${expected.slice(5)}`);
  });

  it('text-unicode: the merge base includes others\' ops that arrived while the edits were already waiting', async () => {
    const s = await setup('pads');
    const merges: PrunedMerge<string>[] = [];
    const parts = await twoClients<string>(s, 'pads', 'text-unicode', 'abc', { recovery: { onMerge: (m) => merges.push(m) } });
    const { aDoc, bDoc } = parts;
    aDoc.pause(); // alice's edit waits unsent while bob's op arrives and is transformed against it
    aDoc.submitOp([3, 'X']);
    bDoc.submitOp([0, 'B']);
    await waitFor('alice received bob\'s op', () => aDoc.data === 'BabcX');
    const base = await diverge(s, 'pads', {
      ...parts,
      offline: () => {
        aDoc.resume();
        aDoc.submitOp([1, 'Y']);
      },
      edit: (i) => bDoc.submitOp([(bDoc.data as string).length, `${i % 10}`]),
      edits: 11,
    });
    s.proxy.restore();
    const expected = 'BYabcX01234567890';
    await waitFor('merged and acknowledged', () => parts.alice.c.status.pending === 0 && aDoc.data === expected, 15_000);
    expect((await serverDoc(s.server, 'pads', parts.id)).data).toBe(expected);
    expect(merges[0]).toMatchObject({ base: 'Babc', baseVersion: base, local: 'BYabcX' });
    expect(parts.alice.errors).toEqual([]);
  });

  it('text-unicode: offline edits whose merge is over the message limit arrive as several ops', async () => {
    // Each edit fits in a message (4 KiB here); merged into one op they did not, and the refusal took all of them.
    const s = await setup('pads', { limits: { maxMessageBytes: 4096 } });
    const merges: PrunedMerge<string>[] = [];
    const parts = await twoClients<string>(s, 'pads', 'text-unicode', 'start.', { recovery: { onMerge: (m) => merges.push(m) } }, 4096);
    const { aDoc, bDoc } = parts;
    const lines = ['a', 'b', 'c'].map((ch) => `\n${ch.repeat(1_500)}`);
    const refusals: Error[] = [];
    await diverge(s, 'pads', {
      ...parts,
      offline: () => {
        for (const line of lines) {
          expect(submitEdit(aDoc, [[...(aDoc.data as string)].length, line], {}, (err) => refusals.push(err))).toBe(true);
        }
      },
      edit: (i) => bDoc.submitOp([0, `${i % 10}`]),
      edits: 12,
    });
    s.proxy.restore();
    const expected = `109876543210start.${lines.join('')}`;
    await waitFor('merged and acknowledged', () => parts.alice.c.status.state === 'online' && parts.alice.c.status.pending === 0 &&
      aDoc.data === expected, 15_000);
    expect((await serverDoc(s.server, 'pads', parts.id)).data).toBe(expected);
    await waitFor('bob converged', () => bDoc.data === expected);
    expect(merges).toHaveLength(1);
    expect(refusals).toEqual([]);
    expect(parts.alice.errors).toEqual([]);
  });

  it('text-unicode: a client with nothing pending whose resubscribe meets pruned history catches up', async () => {
    const s = await setup('pads');
    const events: unknown[] = [];
    const parts = await twoClients<string>(s, 'pads', 'text-unicode', '',
      { recovery: { onMerge: (m) => events.push(m), onConflict: (c) => events.push(c) } });
    const { aDoc, bDoc } = parts;
    const base = aDoc.version!;
    s.proxy.cut();
    await waitFor('alice offline', () => parts.alice.c.status.state === 'offline');
    for (let i = 0; i < 12; i++) {
      bDoc.submitOp([(bDoc.data as string).length, `${i % 10}`]);
      await waitFor('bob acknowledged', () => parts.bob.c.status.pending === 0);
    }
    await waitFor('alice\'s base pruned', async () => ((await s.storage.history!.oldestOpVersion('pads', parts.id)) ?? 0) > base);
    s.proxy.restore();
    await waitFor('alice caught up', () => aDoc.data === '012345678901', 15_000);
    bDoc.submitOp([0, '>']);
    await waitFor('alice subscribed again', () => aDoc.data === '>012345678901');
    expect(events).toEqual([]); // nothing of hers to recover
    expect(parts.alice.errors).toEqual([]);
  });

  it('rich-text: merges the offline edits (text and formatting) into the current document', async () => {
    const s = await setup('richtext');
    const merges: PrunedMerge[] = [];
    const parts = await twoClients(s, 'richtext', 'rich-text', { ops: [{ insert: 'Agenda: budget\n' }] },
      { recovery: { onMerge: (m) => merges.push(m) } });
    const { aDoc, bDoc } = parts;
    await diverge(s, 'richtext', {
      ...parts,
      offline: () => {
        aDoc.submitOp(new Delta().retain(8).insert('hiring, ').ops);
        aDoc.submitOp(new Delta().retain(8).retain(8, { bold: true }).ops);
      },
      edit: (i) => bDoc.submitOp(i === 0 ? new Delta().insert('Monday ').ops : new Delta().retain(lengthOf(bDoc.data) - 1).insert(` ${i}`).ops),
      edits: 12,
    });
    expect(opsOf(aDoc.data)).toEqual([{ insert: 'Agenda: ' }, { insert: 'hiring, ', attributes: { bold: true } }, { insert: 'budget\n' }]);
    s.proxy.restore();
    const expected = [
      { insert: 'Monday Agenda: ' },
      { insert: 'hiring, ', attributes: { bold: true } },
      { insert: 'budget 1 2 3 4 5 6 7 8 9 10 11\n' },
    ];
    await waitFor('merged and acknowledged', () => parts.alice.c.status.pending === 0 &&
      same(aDoc.data, expected), 15_000);
    const after = await serverDoc(s.server, 'richtext', parts.id);
    expect(opsOf(after.data)).toEqual(expected);
    await waitFor('bob converged', () => same(bDoc.data, expected));
    expect(merges).toHaveLength(1);
    expect(parts.alice.errors).toEqual([]);
  });

  it('json1: hands the offline edits back as a conflict; the server document is untouched by them', async () => {
    const s = await setup('boards');
    const conflicts: PrunedConflict<Board>[] = [];
    const merges: unknown[] = [];
    const parts = await twoClients<Board>(s, 'boards', 'json1', { title: 'Board', n: 0 },
      { recovery: { onConflict: (c) => conflicts.push(c), onMerge: (m) => merges.push(m) } });
    const { aDoc, bDoc } = parts;
    const results: unknown[] = [];
    const base = await diverge(s, 'boards', {
      ...parts,
      offline: () => aDoc.submitOp(['title', { r: 'Board', i: 'Alice\'s board' }], {}, (err) => results.push((err as unknown as { code?: string } | undefined)?.code ?? 'ok')),
      edit: () => bDoc.submitOp(['n', { r: (bDoc.data as Board).n, i: (bDoc.data as Board).n + 1 }]),
      edits: 12,
    });
    const before = await serverDoc(s.server, 'boards', parts.id);
    s.proxy.restore();
    await waitFor('conflict reported', () => conflicts.length === 1, 15_000);
    const conflict = conflicts[0]!;
    expect(conflict).toMatchObject({
      collection: 'boards', id: parts.id, type: 'json1',
      base: { title: 'Board', n: 0 }, baseVersion: base,
      local: { title: 'Alice\'s board', n: 0 },
      current: { title: 'Board', n: 12 }, currentVersion: before.v,
      pendingOps: [['title', { r: 'Board', i: 'Alice\'s board' }]],
    });
    expect((conflict.error as { code?: string }).code).toBe('ERR_HISTORY_PRUNED');
    expect(results).toEqual(['ERR_HISTORY_PRUNED']);
    expect(merges).toEqual([]);
    expect(aDoc.data).toEqual({ title: 'Board', n: 12 });
    await waitFor('acknowledged nothing pending', () => parts.alice.c.status.pending === 0);
    expect(await serverDoc(s.server, 'boards', parts.id)).toEqual(before);
    // The doc is live again: edits flow both ways from the current version.
    aDoc.submitOp(['title', { r: 'Board', i: 'Merged by hand' }]);
    await waitFor('bob sees alice', () => (bDoc.data as Board).title === 'Merged by hand');
    bDoc.submitOp(['n', { r: 12, i: 13 }]);
    await waitFor('alice sees bob', () => (aDoc.data as Board).n === 13);
    expect(parts.alice.errors).toEqual([]);
  });

  it('json0 via recoverPrunedEdits on a plain doc: without onConflict the doc reports an error carrying the conflict', async () => {
    const s = await setup('forms');
    const alice = client(s.proxy.rewrite(s.server.wsUrl));
    const bob = client(s.server.wsUrl);
    const id = docId();
    const bDoc = await openDoc<{ n: number; note: string }>(bob.c.connection, 'forms', id, { type: 'json0', data: { n: 0, note: '' } });
    const aDoc = alice.c.connection.get('forms', id) as Doc<{ n: number; note: string }>;
    const dispose = recoverPrunedEdits(aDoc);
    await new Promise<void>((resolve, reject) => aDoc.subscribe((err) => (err ? reject(err) : resolve())));
    await diverge(s, 'forms', {
      id, alice, bob, aDoc,
      offline: () => aDoc.submitOp([{ p: ['note'], od: '', oi: 'from alice' }]),
      edit: () => bDoc.submitOp([{ p: ['n'], na: 1 }]),
      edits: 12,
    });
    s.proxy.restore();
    const error = await waitFor('conflict error', () => alice.errors.find((e) => (e as { conflict?: unknown }).conflict), 15_000);
    expect((error as { code?: string }).code).toBe('ERR_HISTORY_PRUNED');
    expect((error as unknown as { conflict: PrunedConflict }).conflict).toMatchObject({
      type: 'json0', base: { n: 0, note: '' }, local: { n: 0, note: 'from alice' }, current: { n: 12, note: '' },
    });
    expect(aDoc.data).toEqual({ n: 12, note: '' });
    expect((await serverDoc(s.server, 'forms', id)).data).toEqual({ n: 12, note: '' });
    bDoc.submitOp([{ p: ['n'], na: 1 }]);
    await waitFor('alice subscribed again', () => aDoc.data.n === 13);
    dispose();
  });
});

interface Board {
  title: string;
  n: number;
}

function opsOf(data: unknown): unknown[] {
  return ((data as { ops?: unknown[] }).ops ?? data) as unknown[];
}

/** Same rich-text content, whatever the key order of the ops. */
function same(data: unknown, ops: unknown[]): boolean {
  const norm = (list: unknown[]): string => JSON.stringify(list.map((op) => {
    const { insert, attributes } = op as { insert: unknown; attributes?: unknown };
    return [insert, attributes ?? null];
  }));
  return norm(opsOf(data)) === norm(ops);
}

function lengthOf(data: unknown): number {
  return new Delta(opsOf(data) as never).length();
}
