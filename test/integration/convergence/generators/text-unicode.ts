/** text-unicode ops: positions in code points, built with ot-text-unicode's own `insert` / `remove`. */
import { insert, remove, type } from 'ot-text-unicode';
import type { GenContext, OpGenerator } from '../generator.js';
import { countOccurrences, filler, TextView } from '../text-model.js';

const MAX_LENGTH = 600;

export const textUnicodeGenerator: OpGenerator = {
  type: 'text-unicode',
  initialData: () => 'Hello 😀 world 𝄞 👩‍👩‍👧\n',
  next(data, ctx) {
    const view = new TextView(data as string);
    const { rng } = ctx;
    const roll = rng.next();
    if (roll < 0.2) return insert(view.insertPoint(rng), ctx.marker());
    if (roll < 0.5 || view.length < 20) return insert(view.insertPoint(rng), filler(rng));
    const deleteBias = view.length > MAX_LENGTH ? 0.3 : 0;
    if (roll < 0.85 + deleteBias) return deleteRange(view, ctx) ?? insert(view.insertPoint(rng), filler(rng));
    return replaceRange(view, ctx) ?? insert(view.insertPoint(rng), filler(rng));
  },
  markerCount: (data, marker) => countOccurrences(data as string, marker),
  textOf: (data) => data as string,
};

function deleteRange(view: TextView, ctx: GenContext): unknown {
  const range = view.deletableRange(ctx.rng, 12);
  return range && remove(range[0], view.slice(range[0], range[1]));
}

/** Delete and insert in one op, composed by the type itself. */
function replaceRange(view: TextView, ctx: GenContext): unknown {
  const range = view.deletableRange(ctx.rng, 6);
  if (!range) return undefined;
  return type.compose(remove(range[0], view.slice(range[0], range[1])), insert(range[0], filler(ctx.rng)));
}
