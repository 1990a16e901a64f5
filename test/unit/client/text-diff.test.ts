import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyTextOp, codePointLength, diffToTextOp, toCodePoints, toUtf16 } from '@concord/client';

// Strings rich in astral characters (two UTF-16 units each) and repeats, where naive diffs go wrong.
const alphabet = fc.constantFrom('a', 'b', ' ', '😀', '😎', '𝄞', 'é', '\n');
const text = fc.array(alphabet, { maxLength: 12 }).map((chars) => chars.join(''));

describe('code points and UTF-16 units', () => {
  it('converts offsets around astral characters', () => {
    const s = 'a😀b𝄞';
    expect(s.length).toBe(6);
    expect(codePointLength(s)).toBe(4);
    expect([0, 1, 3, 4, 6].map((i) => toCodePoints(s, i))).toEqual([0, 1, 2, 3, 4]);
    expect([0, 1, 2, 3, 4].map((i) => toUtf16(s, i))).toEqual([0, 1, 3, 4, 6]);
    // An offset inside a surrogate pair counts the whole character.
    expect(toCodePoints(s, 2)).toBe(2);
  });
});

describe('diffToTextOp', () => {
  it('turns any change into an op that reproduces it, never splitting a surrogate pair', () => {
    fc.assert(fc.property(text, text, (before, after) => {
      const op = diffToTextOp(before, after);
      expect(applyTextOp(before, op)).toBe(after);
    }));
  });

  it('uses the caret to place an ambiguous insertion', () => {
    // Typing "a" between the two a's of "aa": the caret (2) says where.
    expect(diffToTextOp('aa', 'aaa', 2)).toEqual([1, 'a']);
    expect(diffToTextOp('aa', 'aaa')).toEqual([2, 'a']);
    expect(diffToTextOp('😀😀', '😀😀😀', 4)).toEqual([1, '😀']);
  });

  it('uses the caret to place an ambiguous deletion', () => {
    expect(diffToTextOp('abbbc', 'abbc', 1)).toEqual([1, { d: 'b' }]);
    expect(diffToTextOp('abbbc', 'abbc')).toEqual([3, { d: 'b' }]);
  });

  it('with any caret, the op still reproduces the change', () => {
    fc.assert(fc.property(text, text, fc.nat(30), (before, after, caret) => {
      expect(applyTextOp(before, diffToTextOp(before, after, caret))).toBe(after);
    }));
  });

  it('counts positions in code points and carries deleted text (invertible)', () => {
    expect(diffToTextOp('😀x😀', '😀😀')).toEqual([1, { d: 'x' }]);
    expect(diffToTextOp('𝄞abc', '𝄞aXc')).toEqual([2, { d: 'b' }, 'X']);
    expect(diffToTextOp('same', 'same')).toEqual([]);
  });
});
