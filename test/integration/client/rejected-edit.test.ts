/**
 * One edit the server refuses among edits that wait together (made offline, or while an op awaited its ack) costs
 * only itself: ShareDB composes waiting edits into one op, and the refusal of that op used to roll all of them back.
 * Against a real server with a JSON Schema (json1, JsonStore) and a document size cap (text-unicode, submitEdit, as
 * TextBinding submits).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { JsonStore, openDoc, submitEdit } from '@concord/client';
import { createValidator } from '@concord/server';
import type { Doc } from 'sharedb/lib/client/index.js';
import { waitFor } from '../../helpers/wait-for.js';
import { client, docId, proxyTo, runCleanup, server, serverDoc } from './client-fixture.js';

afterEach(runCleanup);

type Board = { shapes: Record<string, { x: number; color: string }> };
/** Shapes are red or blue: a green one is refused (ERR_OP_INVALID). */
const SCHEMA = {
  type: 'object',
  required: ['shapes'],
  properties: {
    shapes: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { x: { type: 'number' }, color: { enum: ['red', 'blue'] } },
      },
    },
  },
};

async function board(options: { behindProxy?: boolean } = {}) {
  const s = await server({ validator: createValidator({ schemas: { boards: SCHEMA } }) });
  const proxy = options.behindProxy ? await proxyTo(s) : undefined;
  const { c, errors } = client(proxy ? proxy.rewrite(s.wsUrl) : s.wsUrl);
  const id = docId();
  const doc = await openDoc<Board>(c.connection, 'boards', id, { type: 'json1', data: { shapes: {} } });
  const store = new JsonStore<Board>(doc as Doc<Board>);
  const refused: Error[] = [];
  store.on('error', (err) => refused.push(err));
  const stored = async (): Promise<Board> => (await serverDoc<Board>(s, 'boards', id)).data;
  return { s, c, errors, proxy, store, refused, stored };
}

async function text(options: { behindProxy?: boolean } = {}) {
  // Text documents of at most 64 bytes: an edit that would make the text longer is refused.
  const s = await server({ validator: createValidator({ maxDocBytes: 64 }) });
  const proxy = options.behindProxy ? await proxyTo(s) : undefined;
  const { c, errors } = client(proxy ? proxy.rewrite(s.wsUrl) : s.wsUrl);
  const id = docId();
  const doc = await openDoc<string>(c.connection, 'notes', id, { type: 'text-unicode', data: '' });
  const refused: Error[] = [];
  const source = {};
  const edit = (op: unknown[]): boolean => submitEdit(doc, op.filter((x) => x !== 0), source, (err) => refused.push(err));
  const stored = async (): Promise<string> => (await serverDoc<string>(s, 'notes', id)).data;
  return { s, c, errors, proxy, doc, edit, refused, stored };
}

type RichText = { ops: Array<{ insert?: string; retain?: number; delete?: number }> };
const plain = (data: RichText | undefined): string => (data?.ops ?? []).map((op) => op.insert ?? '').join('');

async function richText(options: { behindProxy?: boolean } = {}) {
  // Documents of at most 64 bytes of JSON: an edit that would make the text longer is refused.
  const s = await server({ validator: createValidator({ maxDocBytes: 64 }) });
  const proxy = options.behindProxy ? await proxyTo(s) : undefined;
  const { c, errors } = client(proxy ? proxy.rewrite(s.wsUrl) : s.wsUrl);
  const id = docId();
  const doc = await openDoc<RichText>(c.connection, 'pads', id, { type: 'rich-text', data: { ops: [{ insert: 'hello world\n' }] } as RichText });
  const refused: Error[] = [];
  const source = {};
  const edit = (ops: RichText['ops']): boolean => submitEdit(doc, ops, source, (err) => refused.push(err));
  const stored = async (): Promise<string> => plain((await serverDoc<RichText>(s, 'pads', id)).data);
  return { s, c, errors, proxy, doc, edit, refused, stored };
}

const settled = (c: { status: { state: string; pending: number } }): Promise<boolean> =>
  waitFor('online with every edit acknowledged', () => c.status.state === 'online' && c.status.pending === 0, 15_000);

describe('an edit the server refuses among edits waiting with it', () => {
  it('JsonStore, offline: only the refused shape is lost; the shapes made before and after it reach the server', async () => {
    const { c, errors, proxy, store, refused, stored } = await board({ behindProxy: true });
    await settled(c);
    proxy!.cut();
    await waitFor('offline', () => c.status.state === 'offline');
    store.insert(['shapes', 'a'], { x: 1, color: 'red' });
    store.insert(['shapes', 'bad'], { x: 2, color: 'green' });
    store.insert(['shapes', 'b'], { x: 3, color: 'blue' });
    store.replace(['shapes', 'a', 'x'], 10);
    expect(c.status.pending).toBe(4);
    proxy!.restore();
    await settled(c);
    expect(await stored()).toEqual({ shapes: { a: { x: 10, color: 'red' }, b: { x: 3, color: 'blue' } } });
    expect(store.data).toEqual(await stored());
    expect(refused.map((err) => (err as { code?: string }).code)).toEqual(['ERR_OP_INVALID']);
    expect(errors.map((err) => (err as { code?: string }).code)).toEqual([]);
  });

  it('JsonStore, online: edits queued behind an op in flight keep the good ones around a refused one', async () => {
    const { c, errors, store, refused, stored } = await board();
    await settled(c);
    store.insert(['shapes', 'first'], { x: 0, color: 'red' });
    await new Promise((resolve) => process.nextTick(resolve)); // ShareDB sends it on the next tick: now in flight
    store.insert(['shapes', 'a'], { x: 1, color: 'red' });
    store.insert(['shapes', 'bad'], { x: 2, color: 'green' });
    store.insert(['shapes', 'b'], { x: 3, color: 'blue' });
    await settled(c);
    expect(Object.keys((await stored()).shapes).sort()).toEqual(['a', 'b', 'first']);
    expect(store.data).toEqual(await stored());
    expect(refused).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('text, offline: the edit that would make the text too big is lost alone; the others arrive', async () => {
    const { c, errors, proxy, doc, edit, refused, stored } = await text({ behindProxy: true });
    await settled(c);
    proxy!.cut();
    await waitFor('offline', () => c.status.state === 'offline');
    expect(edit(['one '])).toBe(true);
    expect(edit([4, 'x'.repeat(80)])).toBe(true); // over the 64-byte cap: refused by the server
    expect(edit([84, ' two'])).toBe(true);
    expect(edit([0, 'zero '])).toBe(true);
    proxy!.restore();
    await settled(c);
    expect(await stored()).toBe('zero one  two');
    expect(doc.data).toBe('zero one  two');
    expect(refused.map((err) => (err as { code?: string }).code)).toEqual(['ERR_OP_INVALID']);
    expect(errors).toEqual([]);
  });

  it('text, offline while someone else edits: the waiting edits move past the other edits and still split', async () => {
    const { s, c, errors, proxy, doc, edit, refused, stored } = await text({ behindProxy: true });
    await settled(c);
    const other = client(s.wsUrl);
    const theirs = await openDoc<string>(other.c.connection, 'notes', doc.id, { type: 'text-unicode', data: '' });
    proxy!.cut();
    await waitFor('offline', () => c.status.state === 'offline');
    expect(edit(['one'])).toBe(true);
    expect(edit([3, 'x'.repeat(80)])).toBe(true);
    expect(edit([83, ' two'])).toBe(true);
    theirs.submitOp(['B: '], { source: 'other' });
    await waitFor('their edit acknowledged', () => other.c.status.pending === 0);
    theirs.submitOp([3, 'b '], { source: 'other' });
    await waitFor('their edits acknowledged', () => other.c.status.pending === 0);
    proxy!.restore();
    await settled(c);
    await waitFor('both converge', async () => theirs.data === (await stored()) && doc.data === theirs.data);
    // Both inserted at 0 of the empty text: either order is a convergence.
    expect(['B: b one two', 'one twoB: b ']).toContain(await stored());
    expect(refused).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('rich-text, online: a refused edit in flight is rolled back alone; the edits typed behind it arrive', async () => {
    const { c, errors, doc, edit, refused, stored } = await richText();
    await settled(c);
    expect(edit([{ delete: 6 }, { insert: 'x'.repeat(80) }])).toBe(true); // over the cap once applied: refused
    await new Promise((resolve) => process.nextTick(resolve)); // ShareDB sends it on the next tick: now in flight
    expect(edit([{ retain: 80 }, { insert: 'big ' }])).toBe(true);
    expect(edit([{ retain: 84 + 5 }, { insert: '!' }])).toBe(true);
    await settled(c);
    // Rich-text has no invert: ShareDB reloaded the document and dropped the two edits queued behind the refused one.
    expect(await stored()).toBe('hello big world!\n');
    expect(plain(doc.data)).toBe('hello big world!\n');
    expect(refused.map((err) => (err as { code?: string }).code)).toEqual(['ERR_OP_INVALID']);
    expect(errors).toEqual([]);
  });

  it('rich-text, offline while someone deletes part of what the refused edit deleted: the rollback restores the rest', async () => {
    const { s, c, errors, proxy, doc, edit, refused, stored } = await richText({ behindProxy: true });
    await settled(c);
    const other = client(s.wsUrl);
    const theirs = await openDoc<RichText>(other.c.connection, 'pads', doc.id, { type: 'rich-text', data: { ops: [] } });
    proxy!.cut();
    await waitFor('offline', () => c.status.state === 'offline');
    expect(edit([{ delete: 6 }, { insert: 'x'.repeat(80) }])).toBe(true); // refused: the text would be too big
    expect(edit([{ retain: 85 }, { insert: '!' }])).toBe(true); // after "world"
    expect(edit([{ insert: '> ' }])).toBe(true);
    theirs.submitOp([{ retain: 1 }, { delete: 3 }], { source: 'other' }); // "hello" → "ho", inside the refused delete
    await waitFor('their edit acknowledged', () => other.c.status.pending === 0);
    proxy!.restore();
    await settled(c);
    await waitFor('both converge', async () => plain(theirs.data) === (await stored()) && plain(doc.data) === plain(theirs.data));
    // "ho " restored where the refused edit had deleted "hello " (less what they deleted) and "> " typed at that same
    // place: either order is a convergence.
    expect(['> ho world!\n', 'ho > world!\n']).toContain(await stored());
    expect(refused.map((err) => (err as { code?: string }).code)).toEqual(['ERR_OP_INVALID']);
    expect(errors).toEqual([]);
  });

  it('json1, a refused removal that does not carry the removed value: the local document stays the server\'s', async () => {
    const { c, errors, store, refused, stored } = await board();
    store.insert(['shapes', 'a'], { x: 1, color: 'red' });
    await settled(c);
    // Remove shape a without its value (json1 alone would invert that into inserting `true`) and add a green one.
    store.submit(['shapes', ['a', { r: true }], ['bad', { i: { x: 2, color: 'green' } }]]);
    await settled(c);
    expect(await stored()).toEqual({ shapes: { a: { x: 1, color: 'red' } } });
    expect(store.data).toEqual(await stored());
    expect(refused.map((err) => (err as { code?: string }).code)).toEqual(['ERR_OP_INVALID']);
    expect(errors).toEqual([]);
  });

  it('text, many edits waiting: a refused one among 40 costs only itself, in a few extra round trips', async () => {
    const { c, errors, proxy, doc, edit, refused, stored } = await text({ behindProxy: true });
    await settled(c);
    proxy!.cut();
    await waitFor('offline', () => c.status.state === 'offline');
    let sent = 0;
    c.connection.on('send', (message: { a?: string }) => {
      if (message.a === 'op') sent++;
    });
    for (let i = 0; i < 40; i++) {
      const at = [...(doc.data ?? '')].length;
      edit(i === 17 ? [at, 'y'.repeat(100)] : [at, String.fromCharCode(97 + (i % 26))]);
    }
    proxy!.restore();
    await settled(c);
    const expected = Array.from({ length: 40 }, (_, i) => (i === 17 ? '' : String.fromCharCode(97 + (i % 26)))).join('');
    expect(await stored()).toBe(expected);
    expect(doc.data).toBe(expected);
    expect(refused).toHaveLength(1);
    // Split in halves until the refused edit is alone: about 2 × log2(40) messages, not 40.
    expect(sent).toBeLessThanOrEqual(14);
    expect(errors).toEqual([]);
  });
});
