/**
 * json1 ops on `{ items, keys, slots, parked, hot, count }`. Markers go into `items` (same-index inserts, moves
 * within the list, removals of their neighbours) and, in the same composed op, as a key of `keys`. Fillers also
 * move between containers (`items` <-> `parked`); every client contends for the same keys in `slots` and `hot`.
 * Markers only ever move within the list: a list drop cannot collide, an object drop can (and would lose one).
 */
import { insertOp, moveOp, removeOp, replaceOp, type, type JSONOp } from 'ot-json1';
import type { GenContext, OpGenerator } from '../generator.js';
import { filler } from '../text-model.js';

interface Json1Doc {
  items: string[];
  keys: Record<string, true>;
  slots: Record<string, string>;
  parked: Record<string, string>;
  hot?: string;
  count: number;
}

const MAX_ITEMS = 40;
const SLOTS = ['s0', 's1', 's2'];

export const json1Generator: OpGenerator = {
  type: 'json1',
  initialData: (): Json1Doc => ({ items: ['a', 'b', 'c', 'd'], keys: {}, slots: {}, parked: {}, count: 0 }),
  next(data, ctx) {
    const doc = data as Json1Doc;
    const roll = ctx.rng.next();
    if (roll < 0.15) return marker(doc, ctx);
    if (roll < 0.3 || doc.items.length < 3) return insertItem(doc, ctx);
    const deleteBias = doc.items.length > MAX_ITEMS ? 0.15 : 0;
    if (roll < 0.45 + deleteBias) return removeItem(doc, ctx) ?? insertItem(doc, ctx);
    if (roll < 0.62) return moveItem(doc, ctx);
    if (roll < 0.7) return park(doc, ctx) ?? insertItem(doc, ctx);
    if (roll < 0.85) return slot(doc, ctx);
    if (roll < 0.93) return hotKey(doc, ctx);
    return ['count', { ena: ctx.rng.int(-3, 5) }];
  },
  markerCount(data, m) {
    const doc = data as Json1Doc;
    return doc.keys[m] === true ? doc.items.filter((item) => item === m).length : 0;
  },
};

function isMarker(item: string): boolean {
  return item.startsWith('<c');
}

function insertIndex(doc: Json1Doc, ctx: GenContext): number {
  return ctx.rng.chance(0.3) ? 0 : ctx.rng.int(0, doc.items.length);
}

function marker(doc: Json1Doc, ctx: GenContext): JSONOp {
  const m = ctx.marker();
  return type.compose(insertOp(['items', insertIndex(doc, ctx)], m), insertOp(['keys', m], true));
}

function insertItem(doc: Json1Doc, ctx: GenContext): JSONOp {
  return insertOp(['items', insertIndex(doc, ctx)], filler(ctx.rng, 2));
}

function fillerIndexes(doc: Json1Doc): number[] {
  return doc.items.flatMap((item, i) => (isMarker(item) ? [] : [i]));
}

function removeItem(doc: Json1Doc, ctx: GenContext): JSONOp | undefined {
  const candidates = fillerIndexes(doc);
  return candidates.length === 0 ? undefined : removeOp(['items', ctx.rng.pick(candidates)]);
}

/** Pick and drop within the list; the drop index counts the list after the pick, so it ranges over n - 1 slots. */
function moveItem(doc: Json1Doc, ctx: GenContext): JSONOp {
  const n = doc.items.length;
  const from = ctx.rng.int(0, n - 1);
  const to = ctx.rng.chance(0.3) ? 0 : ctx.rng.int(0, n - 1);
  if (from === to) return insertItem(doc, ctx);
  return moveOp(['items', from], ['items', to]);
}

/** Moves a filler out of the list to a key no one else uses, or a parked one back into the list. */
function park(doc: Json1Doc, ctx: GenContext): JSONOp | undefined {
  const parked = Object.keys(doc.parked);
  if (parked.length > 0 && ctx.rng.chance(0.5)) {
    return moveOp(['parked', ctx.rng.pick(parked)], ['items', ctx.rng.int(0, doc.items.length)]);
  }
  const candidates = fillerIndexes(doc);
  return candidates.length === 0 ? undefined : moveOp(['items', ctx.rng.pick(candidates)], ['parked', ctx.uid()]);
}

/** Every client inserts, replaces and removes the same few keys: concurrent drops on one key collide. */
function slot(doc: Json1Doc, ctx: GenContext): JSONOp {
  const key = ctx.rng.pick(SLOTS);
  const current = doc.slots[key];
  if (current === undefined) return insertOp(['slots', key], filler(ctx.rng, 2));
  if (ctx.rng.chance(0.3)) return removeOp(['slots', key]);
  return replaceOp(['slots', key], current, filler(ctx.rng, 2));
}

function hotKey(doc: Json1Doc, ctx: GenContext): JSONOp {
  const value = filler(ctx.rng, 2);
  return doc.hot === undefined ? insertOp(['hot'], value) : replaceOp(['hot'], doc.hot, value);
}
