/**
 * JsonStore against an in-process ShareDB backend (no network): typed helpers, undo across two users, and exact
 * rollback of an op the server rejects.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import ShareDB from 'sharedb';
import type { Connection, Doc } from 'sharedb/lib/client/index.js';
import { registerTypes, type TypeRegistry } from '@concord/shared';
import { JsonStore, openDoc } from '@concord/client';
import { waitFor } from '../../helpers/wait-for.js';

registerTypes(ShareDB.types as unknown as TypeRegistry);
// The refused creates and rejected ops below are expected; ShareDB would log each.
ShareDB.logger.setMethods({ info: () => undefined, warn: () => undefined, error: () => undefined });

type Board = { shapes: Record<string, { x: number; y: number; color: string }>; order: string[] };
const opOf = (op: object): unknown => ('op' in op ? op.op : null);
const INITIAL: Board = { shapes: { s1: { x: 10, y: 10, color: 'red' } }, order: ['s1'] };

let backend: ShareDB;
const stores: Array<JsonStore<Board>> = [];
afterEach(async () => {
  for (const store of stores.splice(0)) store.destroy();
  await new Promise<void>((resolve) => backend.close(() => resolve()));
});

async function setup(): Promise<{ a: JsonStore<Board>; b: JsonStore<Board>; conn: Connection[] }> {
  backend = new ShareDB({ presence: true, doNotForwardSendPresenceErrorsToClient: true });
  backend.use('submit', (ctx, next) => {
    if (JSON.stringify(opOf(ctx.op)).includes('forbidden')) return next(new Error('rejected by a rule'));
    next();
  });
  const conn = [backend.connect(), backend.connect()];
  const docs = await Promise.all(conn.map((c) => openDoc<Board>(c, 'boards', 'b1', { type: 'json1', data: INITIAL })));
  const [a, b] = docs.map((doc) => new JsonStore<Board>(doc as Doc<Board>, { captureMs: 0 }));
  if (!a || !b) throw new Error('no stores');
  stores.push(a, b);
  return { a, b, conn };
}

const settled = (a: JsonStore<Board>, b: JsonStore<Board>): Promise<boolean> =>
  waitFor('replicas equal and acknowledged', () =>
    !a.doc.hasPending() && !b.doc.hasPending() && isDeepStrictEqual(a.data, b.data));

describe('JsonStore', () => {
  it('two clients racing to create the same document both open it', async () => {
    const { a, b } = await setup();
    expect(a.data).toEqual(INITIAL);
    expect(b.data).toEqual(INITIAL);
  });

  it('insert, replace, move and remove at paths reach the other client', async () => {
    const { a, b } = await setup();
    a.insert(['shapes', 's2'], { x: 1, y: 2, color: 'blue' });
    a.insert(['order', 1], 's2');
    a.replace(['shapes', 's1', 'color'], 'green');
    a.move(['order', 1], ['order', 0]);
    await settled(a, b);
    expect(b.data.order).toEqual(['s2', 's1']);
    expect(b.get(['shapes', 's1', 'color'])).toBe('green');
    b.remove(['shapes', 's2']);
    await settled(a, b);
    expect(a.get(['shapes', 's2'])).toBeUndefined();
  });

  it('A moves a shape, B recolours it, A undoes: position reverts, colour stays, both agree', async () => {
    const { a, b } = await setup();
    a.replace(['shapes', 's1', 'x'], 300);
    a.replace(['shapes', 's1', 'y'], 400);
    await settled(a, b);
    b.replace(['shapes', 's1', 'color'], 'blue');
    await settled(a, b);
    expect(a.undo()).toBe(true);
    expect(a.undo()).toBe(true);
    await settled(a, b);
    expect(b.data.shapes.s1).toEqual({ x: 10, y: 10, color: 'blue' });
    // Redo re-applies the step undone last: the move along x.
    expect(a.redo()).toBe(true);
    await settled(a, b);
    expect(b.data.shapes.s1).toEqual({ x: 300, y: 10, color: 'blue' });
  });

  it('undo of a shape another user deleted changes nothing', async () => {
    const { a, b } = await setup();
    a.insert(['shapes', 's9'], { x: 0, y: 0, color: 'red' });
    await settled(a, b);
    b.remove(['shapes', 's9']);
    await settled(a, b);
    expect(a.undo()).toBe(false);
    await settled(a, b);
    expect(a.data).toEqual(INITIAL);
  });

  it('an op the server rejects is rolled back exactly, and reported', async () => {
    const { a, b } = await setup();
    a.insert(['shapes', 's2'], { x: 5, y: 6, color: 'forbidden' });
    const errors: Error[] = [];
    a.on('error', (err) => errors.push(err));
    const changes: boolean[] = [];
    a.on('change', (_data, info) => changes.push(info.local));
    await waitFor('rejection', () => errors.length === 1);
    await settled(a, b);
    expect(a.data).toEqual(INITIAL);
    expect(errors[0]?.message).toMatch(/rejected by a rule/);
    expect(changes).toContain(false);
  });

  it('an edit too big for the server is refused unsent: reported, nothing changes, nothing to undo', async () => {
    const { a, b } = await setup();
    const errors: Error[] = [];
    a.on('error', (err) => errors.push(err));
    a.replace(['shapes', 's1', 'color'], 'teal');
    a.insert(['shapes', 's2'], { x: 5, y: 6, color: 'c'.repeat(1_100_000) }); // over the default 1 MiB
    expect(errors).toMatchObject([{ code: 'ERR_MESSAGE_TOO_BIG' }]);
    expect(a.get(['shapes', 's2'])).toBeUndefined();
    await settled(a, b);
    expect(b.data.shapes).toEqual({ s1: { x: 10, y: 10, color: 'teal' } });
    expect(a.undo()).toBe(true); // the colour, the one step recorded
    await settled(a, b);
    expect(b.data).toEqual(INITIAL);
    expect(a.canUndo).toBe(false);
  });

  it('a rejected removal restores the removed shape with all its properties', async () => {
    const { a, b } = await setup();
    backend.use('submit', (ctx, next) => next(JSON.stringify(opOf(ctx.op)).includes('"s1",{"r"') ? new Error('no removals') : undefined));
    a.replace(['shapes', 's1', 'color'], 'teal');
    await settled(a, b);
    a.remove(['shapes', 's1']);
    expect(a.get(['shapes', 's1'])).toBeUndefined();
    await waitFor('rolled back', () => a.get(['shapes', 's1']));
    expect(a.data.shapes.s1).toEqual({ x: 10, y: 10, color: 'teal' });
  });

  it('destroy removes exactly the listeners the store added', async () => {
    const { a } = await setup();
    const count = (event: 'op' | 'load' | 'del'): number => a.doc.listenerCount(event);
    const before = { op: count('op'), load: count('load'), del: count('del') };
    const extra = new JsonStore<Board>(a.doc);
    expect(count('op')).toBe(before.op + 1);
    extra.destroy();
    expect({ op: count('op'), load: count('load'), del: count('del') }).toEqual(before);
  });

  it('a remote op the undo steps cannot be moved past loses none of the user’s unacknowledged edits', async () => {
    // ShareDB answers an exception from a doc 'op' listener with a hard rollback, which discards the edits waiting
    // to be sent.
    const { a, b } = await setup();
    const failing = a as unknown as { undoManager: { transform(op: unknown): void } };
    failing.undoManager.transform = () => {
      throw new Error('undo transform failed');
    };
    const errors: Error[] = [];
    a.on('error', (err) => errors.push(err));
    let release: (() => void) | undefined;
    backend.use('submit', (ctx, next) => {
      if (JSON.stringify(opOf(ctx.op)).includes('99')) release = next; // a's first edit waits at the server
      else next();
    });
    a.replace(['shapes', 's1', 'x'], 99);
    await waitFor('a’s first edit held at the server', () => release !== undefined);
    a.replace(['shapes', 's1', 'y'], 77); // waits at a for the ack of the first
    b.replace(['shapes', 's1', 'color'], 'blue'); // committed first, and sent to a
    await waitFor('b’s edit at a', () => a.data.shapes.s1?.color === 'blue' || errors.length > 0);
    release?.();
    await settled(a, b);
    expect(a.data.shapes.s1).toEqual({ x: 99, y: 77, color: 'blue' });
    expect(errors.map((e) => e.message)).toContain('undo transform failed');
  });
});
