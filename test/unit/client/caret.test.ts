import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyTextOp, rangeToCodePoints, rangeToUtf16, transformRange } from '@concord/client';
import type { TextOp } from 'ot-text-unicode';

function moved(before: string, start: number, end: number, op: TextOp): { text: string; start: number; end: number } {
  const text = applyTextOp(before, op);
  return { text, ...transformRange(before, text, { start, end }, op) };
}

describe('caret and selection through remote ops', () => {
  it('shifts a caret after a remote insert of astral characters in UTF-16 units', () => {
    // "😀a😀b|" : caret at UTF-16 6; someone inserts "😎😎" at code point 0.
    const r = moved('😀a😀b', 6, 6, ['😎😎']);
    expect(r.text).toBe('😎😎😀a😀b');
    expect(r).toMatchObject({ start: 10, end: 10 });
  });

  it('keeps a selection on the same characters when text before it changes', () => {
    // Select "😀b" (UTF-16 3..6) in "x😀a😀b"? No: in "😀a😀b" the selection 3..6 is "😀b".
    const before = '😀a😀b';
    const r = moved(before, 3, 6, [{ d: '😀' }, 'long text ']);
    expect(r.text.slice(r.start, r.end)).toBe('😀b');
  });

  it('leaves a caret before the edit alone and keeps a caret at an insert point before the insert', () => {
    expect(moved('héllo', 1, 1, [3, '𝄞'])).toMatchObject({ start: 1, end: 1 });
    expect(moved('ab', 1, 1, [1, 'X'])).toMatchObject({ text: 'aXb', start: 1, end: 1 });
  });

  it('collapses a selection whose text was deleted remotely', () => {
    expect(moved('abc😀def', 3, 5, [2, { d: 'c😀d' }])).toMatchObject({ text: 'abef', start: 2, end: 2 });
  });

  it('for any remote edit elsewhere, the text right of the caret is unchanged', () => {
    const alphabet = fc.constantFrom('a', '😀', 'b', '𝄞');
    const str = fc.array(alphabet, { minLength: 1, maxLength: 10 }).map((c) => c.join(''));
    fc.assert(fc.property(str, str, str, (left, right, inserted) => {
      // A remote insert inside `left` (at code point 0) never changes what follows the caret at left|right.
      const before = left + right;
      const r = moved(before, left.length, left.length, [inserted]);
      expect(r.text.slice(r.end)).toBe(right);
      expect(r.text.slice(0, r.start)).toBe(inserted + left);
    }));
  });

  it('converts ranges between code points and UTF-16', () => {
    expect(rangeToCodePoints('😀a😀b', { start: 3, end: 6 })).toEqual({ index: 2, length: 2 });
    expect(rangeToUtf16('😀a😀b', 2, 2)).toEqual({ start: 3, end: 6 });
  });
});
