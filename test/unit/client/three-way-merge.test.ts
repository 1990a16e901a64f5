/**
 * The pure three-way merges behind pruned-history recovery: a text diff that keeps separate changes separate, and
 * merges of text-unicode and rich-text documents that keep both sides' edits and converge (the op for the client
 * and the op for the server lead to the same document).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyTextOp, Delta, mergeRichText, mergeText, textDiffOp, composeTextOps } from '@concord/client';
import { textUnicodeType } from '@concord/shared';

const textType = textUnicodeType as unknown as { invert(op: unknown): unknown; apply(s: string, op: unknown): string };

const alphabet = fc.constantFrom('a', 'b', 'c', ' ', '😀', '𝄞', 'é', '\n');
const text = fc.array(alphabet, { maxLength: 16 }).map((chars) => chars.join(''));

describe('textDiffOp', () => {
  it('turns before into after, one hunk per changed region, deletes carrying their text', () => {
    const op = textDiffOp('the quick brown fox', 'THE quick brown fox!');
    expect(applyTextOp('the quick brown fox', op)).toBe('THE quick brown fox!');
    expect(op).toEqual(['THE', { d: 'the' }, 16, '!']);
    expect(textType.apply('THE quick brown fox!', textType.invert(op))).toBe('the quick brown fox');
  });

  it('counts code points and never splits a surrogate pair', () => {
    const op = textDiffOp('a😀b', 'a😀𝄞b');
    expect(op).toEqual([2, '𝄞']);
    fc.assert(fc.property(text, text, (before, after) => {
      const diff = textDiffOp(before, after);
      expect(applyTextOp(before, diff)).toBe(after);
      expect(textType.apply(after, textType.invert(diff))).toBe(before);
    }), { numRuns: 300 });
  });

  it('is empty for equal texts', () => {
    expect(textDiffOp('same', 'same')).toEqual([]);
  });
});

describe('mergeText', () => {
  it('keeps an edit in the middle where it was made while others edited both ends', () => {
    const base = 'alpha beta gamma';
    const local = 'alpha beta, delta, gamma';
    const current = 'ALPHA beta gamma!';
    const merge = mergeText(base, local, current);
    expect(merge.merged).toBe('ALPHA beta, delta, gamma!');
    expect(applyTextOp(current, merge.localOnCurrent)).toBe(merge.merged);
    expect(applyTextOp(local, merge.currentOnLocal)).toBe(merge.merged);
  });

  it('breaks a tie as the server does for a late op: the user\'s insert first', () => {
    expect(mergeText('ab', 'aXb', 'aYb').merged).toBe('aXYb');
  });

  it('deletes what the user deleted, keeps what others typed inside it', () => {
    const merge = mergeText('keep DROP keep', 'keep  keep', 'keep DR-OP keep');
    expect(merge.merged).toBe('keep - keep');
  });

  it('uses the user\'s own ops over a diff (typing "a" into "aa" at the start)', () => {
    const base = 'aa';
    const mine = composeTextOps([['a'], [1, 'b']]); // "a" typed at 0, then "b" after it: "abaa"
    expect(applyTextOp(base, mine)).toBe('abaa');
    const merge = mergeText(base, 'abaa', 'aaZ', mine);
    expect(merge.merged).toBe('abaaZ');
    expect(() => mergeText(base, 'something else', 'aaZ', mine)).toThrow(/localOp/);
  });

  it('is the other side when one side did nothing, and converges in general', () => {
    fc.assert(fc.property(text, text, text, (base, local, current) => {
      expect(mergeText(base, base, current).merged).toBe(current);
      expect(mergeText(base, local, base).merged).toBe(local);
      const merge = mergeText(base, local, current);
      expect(applyTextOp(current, merge.localOnCurrent)).toBe(merge.merged);
      expect(applyTextOp(local, merge.currentOnLocal)).toBe(merge.merged);
    }), { numRuns: 300 });
  });

  it('keeps both sides\' inserted text', () => {
    fc.assert(fc.property(text, fc.nat(), fc.nat(), (base, i, j) => {
      const a = i % (base.length + 1);
      const b = j % (base.length + 1);
      const at = (s: string, n: number): number => (n > 0 && n < s.length && s.charCodeAt(n - 1) >= 0xd800 && s.charCodeAt(n - 1) <= 0xdbff ? n + 1 : n);
      const local = base.slice(0, at(base, a)) + '[mine]' + base.slice(at(base, a));
      const current = base.slice(0, at(base, b)) + '{theirs}' + base.slice(at(base, b));
      const { merged } = mergeText(base, local, current);
      expect(merged).toContain('[mine]');
      expect(merged).toContain('{theirs}');
      expect(merged.replace('[mine]', '').replace('{theirs}', '')).toBe(base);
    }), { numRuns: 200 });
  });
});

describe('mergeRichText', () => {
  const doc = (...ops: Array<{ insert: string; attributes?: Record<string, unknown> }>): Delta => new Delta(ops);

  it('merges text and formatting of both sides', () => {
    const base = doc({ insert: 'Hello world\n' });
    const local = doc({ insert: 'Hello ' }, { insert: 'wide', attributes: { italic: true } }, { insert: ' world\n' });
    const current = doc({ insert: 'Hello', attributes: { bold: true } }, { insert: ' world, again\n' });
    const merge = mergeRichText(base, local, current);
    expect(merge.merged.ops).toEqual([
      { insert: 'Hello', attributes: { bold: true } },
      { insert: ' ' },
      { insert: 'wide', attributes: { italic: true } },
      { insert: ' world, again\n' },
    ]);
    expect(new Delta(current.ops).compose(merge.localOnCurrent)).toEqual(merge.merged);
    expect(new Delta(local.ops).compose(merge.currentOnLocal)).toEqual(merge.merged);
  });

  it('breaks ties as the server does for a late rich-text op: their insert and their value first', () => {
    expect(mergeRichText([{ insert: 'ab\n' }], [{ insert: 'aXb\n' }], [{ insert: 'aYb\n' }]).merged.ops).toEqual([{ insert: 'aYXb\n' }]);
    const red = [{ insert: 'ab', attributes: { color: 'red' } }, { insert: '\n' }];
    const blue = [{ insert: 'ab', attributes: { color: 'blue' } }, { insert: '\n' }];
    expect(mergeRichText([{ insert: 'ab\n' }], blue, red).merged.ops).toEqual(red);
  });

  it('takes the user\'s ops when given, and accepts plain ops arrays', () => {
    const mine = new Delta().retain(5).insert('!');
    const merge = mergeRichText([{ insert: 'Hello\n' }], [{ insert: 'Hello!\n' }], { ops: [{ insert: 'Oh Hello\n' }] }, mine);
    expect(merge.merged.ops).toEqual([{ insert: 'Oh Hello!\n' }]);
  });

  it('converges for any texts', () => {
    fc.assert(fc.property(text, text, text, (b, l, c) => {
      const [base, local, current] = [b, l, c].map((s) => doc({ insert: `${s}\n` }));
      const merge = mergeRichText(base!, local!, current!);
      expect(new Delta(current!.ops).compose(merge.localOnCurrent)).toEqual(merge.merged);
      expect(new Delta(local!.ops).compose(merge.currentOnLocal)).toEqual(merge.merged);
    }), { numRuns: 200 });
  });
});
