// text-unicode model: short strings with astral characters; ops of skips, inserts and deletes (by count or by
// text), positions biased to the end of the text, normalized by the type itself.
import { textUnicodeType } from '@concord/shared';
import type { Draw, TypeModel } from '../property-harness.js';
import { genText } from './json-docs.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const normalize = textUnicodeType.normalize as (op: unknown) => unknown[];

/** A valid text-unicode op on `text`. */
export function genTextOp(draw: Draw, text: string): unknown[] {
  const chars = Array.from(text);
  const op: unknown[] = [];
  let pos = 0;
  for (let n = draw.int(1, 3); n > 0; n--) {
    const rest = chars.length - pos;
    const kind = draw.pick(['skip', 'insert', 'delete'] as const);
    if (kind === 'insert' || rest === 0) {
      op.push(genText(draw, 1, 3));
      continue;
    }
    const count = draw.pick([rest, 1, draw.int(1, rest)]);
    if (kind === 'skip') op.push(count);
    else op.push({ d: draw.chance(0.5) ? count : chars.slice(pos, pos + count).join('') });
    pos += count;
  }
  return normalize(op);
}

export const textUnicodeModel: TypeModel = {
  name: 'text-unicode',
  type: textUnicodeType,
  genDoc: (draw) => genText(draw, 0, 10),
  genOp: (draw, doc) => genTextOp(draw, doc as string),
  documentProblem(doc) {
    if (typeof doc !== 'string') return `not a string: ${typeof doc}`;
    return LONE_SURROGATE.test(doc) ? 'lone surrogate in the text' : undefined;
  },
};
