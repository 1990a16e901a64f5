/**
 * rich-text (Quill Delta) ops: positions in UTF-16 units (an astral character counts 2), always on code-point
 * boundaries as Quill chooses them. Formatting ranges overlap freely, markers included (formatting deletes nothing).
 */
import type { GenContext, OpGenerator } from '../generator.js';
import { countOccurrences, filler, TextView } from '../text-model.js';

type Attributes = Record<string, string | boolean | null>;
type DeltaOp = { insert: string; attributes?: Attributes } | { retain: number; attributes?: Attributes } | { delete: number };

const MAX_LENGTH = 600;
const COLORS = ['#e00', '#0a0', '#00f'];

export const richTextGenerator: OpGenerator = {
  type: 'rich-text',
  initialData: () => [{ insert: 'Hello 😀 world 𝄞 👩‍👩‍👧\n' }],
  next(data, ctx) {
    const view = new TextView(textOf(data));
    const { rng } = ctx;
    const roll = rng.next();
    if (roll < 0.2) return insertAt(view, ctx, ctx.marker());
    if (roll < 0.45 || view.length < 20) return insertAt(view, ctx, filler(rng), rng.chance(0.3) ? randomAttributes(ctx) : undefined);
    const deleteBias = view.length > MAX_LENGTH ? 0.3 : 0;
    if (roll < 0.65 + deleteBias) return deleteRange(view, ctx) ?? insertAt(view, ctx, filler(rng));
    if (roll < 0.9) return format(view, ctx) ?? insertAt(view, ctx, filler(rng));
    return replaceRange(view, ctx) ?? insertAt(view, ctx, filler(rng));
  },
  markerCount: (data, marker) => countOccurrences(textOf(data), marker),
  textOf,
};

function textOf(data: unknown): string {
  const ops = (data as { ops: Array<{ insert?: unknown }> }).ops;
  return ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');
}

function retain(n: number): DeltaOp[] {
  return n > 0 ? [{ retain: n }] : [];
}

function insertAt(view: TextView, ctx: GenContext, text: string, attributes?: Attributes): DeltaOp[] {
  const at = view.utf16(view.insertPoint(ctx.rng));
  return [...retain(at), attributes ? { insert: text, attributes } : { insert: text }];
}

function deleteRange(view: TextView, ctx: GenContext): DeltaOp[] | undefined {
  const range = view.deletableRange(ctx.rng, 12);
  if (!range) return undefined;
  const [start, end] = [view.utf16(range[0]), view.utf16(range[1])];
  return [...retain(start), { delete: end - start }];
}

/** Bold / italic / color set or cleared over any range, overlapping what others format, insert and delete. */
function format(view: TextView, ctx: GenContext): DeltaOp[] | undefined {
  const range = view.anyRange(ctx.rng, 30);
  if (!range) return undefined;
  const [start, end] = [view.utf16(range[0]), view.utf16(range[1])];
  return [...retain(start), { retain: end - start, attributes: randomAttributes(ctx, true) }];
}

/** Insert and delete at one position in one delta (canonical order: insert before delete). */
function replaceRange(view: TextView, ctx: GenContext): DeltaOp[] | undefined {
  const range = view.deletableRange(ctx.rng, 6);
  if (!range) return undefined;
  const [start, end] = [view.utf16(range[0]), view.utf16(range[1])];
  return [...retain(start), { insert: filler(ctx.rng) }, { delete: end - start }];
}

function randomAttributes(ctx: GenContext, allowClear = false): Attributes {
  const { rng } = ctx;
  const attributes: Attributes = {};
  const clear = (): boolean => allowClear && rng.chance(0.3);
  if (rng.chance(0.6)) attributes.bold = clear() ? null : true;
  if (rng.chance(0.4)) attributes.italic = clear() ? null : true;
  if (rng.chance(0.4) || Object.keys(attributes).length === 0) attributes.color = clear() ? null : rng.pick(COLORS);
  return attributes;
}
