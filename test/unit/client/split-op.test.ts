/**
 * splitTextOp and splitDelta: an op cut into pieces applied one after the other, each of at most the byte budget of
 * JSON, does what the whole op does (recovery sends a merge over the message limit this way).
 */
import { describe, expect, it } from 'vitest';
import { Delta, splitDelta, splitTextOp } from '@concord/client';
import { textUnicodeType } from '@concord/shared';
import type { TextOp } from 'ot-text-unicode';

const text = textUnicodeType as unknown as { apply(s: string, op: TextOp): string };
const bytes = (op: unknown): number => new TextEncoder().encode(JSON.stringify(op)).length;

describe('splitTextOp', () => {
  it('cuts long inserts and deletes (never inside a surrogate pair) into pieces under the budget', () => {
    const before = `head ${'d'.repeat(3_000)} middle tail`;
    const op: TextOp = [5, { d: 'd'.repeat(3_000) }, 8, `${'😀x'.repeat(1_000)}\u0001"`, 4, 'end'];
    const pieces = splitTextOp(op, 1_000);
    expect(pieces.length).toBeGreaterThan(4);
    for (const piece of pieces) expect(bytes(piece)).toBeLessThanOrEqual(1_000);
    expect(pieces.reduce((doc, piece) => text.apply(doc, piece), before)).toBe(text.apply(before, op));
  });

  it('keeps an op under the budget as one piece', () => {
    expect(splitTextOp([3, 'abc', { d: 'x' }], 1_000)).toEqual([[3, 'abc', { d: 'x' }]]);
  });
});

describe('splitDelta', () => {
  it('cuts inserts with their attributes, keeps formatting retains and deletes in place', () => {
    const before = new Delta().insert(`Title\n${'body '.repeat(400)}\n`);
    const op = new Delta().retain(6, { bold: true }).insert('x'.repeat(2_500), { italic: true }).delete(10).retain(40)
      .insert({ image: 'https://example.com/a.png' }).insert('y'.repeat(1_200));
    const pieces = splitDelta(op.ops, 800);
    expect(pieces.length).toBeGreaterThan(4);
    for (const piece of pieces) expect(bytes(piece)).toBeLessThanOrEqual(800);
    const applied = pieces.reduce((doc, piece) => doc.compose(new Delta(piece)), before);
    expect(applied).toEqual(before.compose(op));
  });
});
