/**
 * json0 ops on `{ items, keys, hot, count, title }`. Markers go into `items` (where others insert at the same
 * index, move with `lm` and delete their neighbours with `ld`) and, in the same op, as a key of `keys`.
 * Every `ld` / `od` / `sd` carries the exact current value, every index is in range.
 */
import type { GenContext, OpGenerator } from '../generator.js';
import { filler, TextView } from '../text-model.js';

interface Json0Doc {
  items: string[];
  keys: Record<string, true>;
  hot?: string;
  count: number;
  title: string;
}
type Component = Record<string, unknown> & { p: Array<string | number> };

const MAX_ITEMS = 40;

export const json0Generator: OpGenerator = {
  type: 'json0',
  initialData: (): Json0Doc => ({ items: ['a', 'b', 'c', 'd'], keys: {}, count: 0, title: 'Title 😀' }),
  next(data, ctx) {
    const doc = data as Json0Doc;
    const roll = ctx.rng.next();
    if (roll < 0.15) return marker(doc, ctx);
    if (roll < 0.3 || doc.items.length < 3) return insertItem(doc, ctx);
    const deleteBias = doc.items.length > MAX_ITEMS ? 0.15 : 0;
    if (roll < 0.45 + deleteBias) return deleteItem(doc, ctx, false) ?? insertItem(doc, ctx);
    if (roll < 0.5 + deleteBias) return deleteItem(doc, ctx, true) ?? insertItem(doc, ctx);
    if (roll < 0.68) return moveItem(doc, ctx);
    if (roll < 0.8) return hotKey(doc, ctx);
    if (roll < 0.85) return [{ p: ['count'], na: ctx.rng.int(-3, 5) }];
    return editTitle(doc, ctx);
  },
  markerCount(data, m) {
    const doc = data as Json0Doc;
    return doc.keys[m] === true ? doc.items.filter((item) => item === m).length : 0;
  },
};

function isMarker(item: string): boolean {
  return item.startsWith('<c');
}

function insertIndex(doc: Json0Doc, ctx: GenContext): number {
  return ctx.rng.chance(0.3) ? 0 : ctx.rng.int(0, doc.items.length);
}

function marker(doc: Json0Doc, ctx: GenContext): Component[] {
  const m = ctx.marker();
  return [{ p: ['items', insertIndex(doc, ctx)], li: m }, { p: ['keys', m], oi: true }];
}

function insertItem(doc: Json0Doc, ctx: GenContext): Component[] {
  return [{ p: ['items', insertIndex(doc, ctx)], li: filler(ctx.rng, 2) }];
}

/** `ld` (or `ld` + `li`, a replace) of an item that is not a marker. */
function deleteItem(doc: Json0Doc, ctx: GenContext, replace: boolean): Component[] | undefined {
  const candidates = doc.items.flatMap((item, i) => (isMarker(item) ? [] : [i]));
  if (candidates.length === 0) return undefined;
  const i = ctx.rng.pick(candidates);
  const component: Component = { p: ['items', i], ld: doc.items[i] };
  if (replace) component.li = filler(ctx.rng, 2);
  return [component];
}

/** `lm` of any item, markers included: `lm` keeps the item, so markers survive it. */
function moveItem(doc: Json0Doc, ctx: GenContext): Component[] {
  const n = doc.items.length;
  const from = ctx.rng.int(0, n - 1);
  const to = ctx.rng.chance(0.3) ? 0 : ctx.rng.int(0, n - 1);
  if (from === to) return insertItem(doc, ctx);
  return [{ p: ['items', from], lm: to }];
}

/** Every client writes the same key: `oi`, `od` + `oi` with the exact old value, or `od`. */
function hotKey(doc: Json0Doc, ctx: GenContext): Component[] {
  const value = filler(ctx.rng, 2);
  if (doc.hot === undefined) return [{ p: ['hot'], oi: value }];
  if (ctx.rng.chance(0.2)) return [{ p: ['hot'], od: doc.hot }];
  return [{ p: ['hot'], od: doc.hot, oi: value }];
}

/** `si` / `sd` on a string with emoji; json0 strings count UTF-16 units, chosen on code-point boundaries. */
function editTitle(doc: Json0Doc, ctx: GenContext): Component[] {
  const view = new TextView(doc.title);
  const range = view.length > 30 || ctx.rng.chance(0.4) ? view.deletableRange(ctx.rng, 5) : undefined;
  if (!range) return [{ p: ['title', view.utf16(view.insertPoint(ctx.rng))], si: filler(ctx.rng, 2) }];
  return [{ p: ['title', view.utf16(range[0])], sd: view.slice(range[0], range[1]) }];
}
