/**
 * HeldOps, which the editor bindings use while an IME composition keeps others' ops out of the view: whatever the
 * interleaving of others' ops (held) and the view's own edits (passed to the doc), applying the held ops at the end
 * leaves the view equal to the doc, for text-unicode and rich-text.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TextOp } from 'ot-text-unicode';
import { textUnicodeType } from '@concord/shared';
import { applyTextOp, codePointLength, Delta, HeldOps, richTextUndo, type HoldType } from '@concord/client';

const textType = textUnicodeType as unknown as HoldType<TextOp> & { normalize(op: unknown[]): TextOp };

/** One step: another user's op on the doc, or the user's own edit of the view; where, what and how much. */
const step = fc.record({
  remote: fc.boolean(),
  at: fc.nat(),
  insert: fc.constantFrom('', 'x', 'yz', '😀', 'é\n'),
  remove: fc.nat({ max: 3 }),
});
const steps = fc.array(step, { maxLength: 12 });
const start = fc.constantFrom('', 'abc', 'a😀b\nc', 'hello world');

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** A text-unicode op valid on `text` (positions in code points), from a step. */
function textOp(text: string, { at, insert, remove }: Step): TextOp {
  const length = codePointLength(text);
  const pos = at % (length + 1);
  const count = Math.min(remove, length - pos);
  return textType.normalize([pos, ...(count > 0 ? [{ d: count }] : []), insert]);
}

/** A Delta valid on a document of `length` (Quill units: UTF-16), from a step. */
function delta(length: number, { at, insert, remove }: Step): Delta {
  const pos = at % (length + 1);
  const change = new Delta().retain(pos).delete(Math.min(remove, length - pos));
  return insert ? change.insert(insert) : change;
}

const textOf = (d: Delta): string => d.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');

describe('HeldOps', () => {
  it('text-unicode: the view with the held ops applied equals the doc, for every interleaving', () => {
    fc.assert(fc.property(start, steps, (initial, plan) => {
      const held = new HeldOps(textType);
      let doc: string = initial;
      let view: string = initial;
      for (const s of plan) {
        if (s.remote) {
          const op = textOp(doc, s);
          doc = applyTextOp(doc, op);
          held.hold(op);
        } else {
          const edit = textOp(view, s);
          view = applyTextOp(view, edit);
          doc = applyTextOp(doc, held.pass(edit));
        }
      }
      const rest = held.take();
      if (rest) view = applyTextOp(view, rest);
      expect(view).toBe(doc);
      expect(held.take()).toBeNull();
    }), { numRuns: 500 });
  });

  it('rich-text: the view with the held ops applied equals the doc, for every interleaving', () => {
    fc.assert(fc.property(start, steps, (initial, plan) => {
      const held = new HeldOps(richTextUndo);
      let doc = new Delta().insert(initial);
      let view = new Delta().insert(initial);
      for (const s of plan) {
        if (s.remote) {
          const op = delta(doc.length(), s);
          doc = doc.compose(op);
          held.hold(op);
        } else {
          const edit = delta(view.length(), s);
          view = view.compose(edit);
          doc = doc.compose(held.pass(edit));
        }
      }
      const rest = held.take();
      if (rest) view = view.compose(rest);
      expect(textOf(view)).toBe(textOf(doc));
      expect(view.ops).toEqual(doc.ops);
    }), { numRuns: 500 });
  });

  it('passes edits through untouched while nothing is held, and forgets what clear() drops', () => {
    const held = new HeldOps(textType);
    const edit: TextOp = [1, 'x'];
    expect(held.pass(edit)).toBe(edit);
    held.hold(['a']);
    // The edit at 1 lands after the held insert at 0 once it reaches the doc.
    expect(held.pass([1, 'x'])).toEqual([2, 'x']);
    held.clear();
    expect(held.take()).toBeNull();
  });
});
