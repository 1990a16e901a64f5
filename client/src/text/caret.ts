/**
 * Keeps a text field's caret and selection where the user expects when a remote op changes the text: the range is
 * taken to code points, moved through the op by text-unicode's own position transform, and taken back to UTF-16
 * units of the new text.
 */
import type { TextOp } from 'ot-text-unicode';
import { toCodePoints, toUtf16 } from './code-points.js';
import { textType } from './text-type.js';

/** A selection in UTF-16 units, as `selectionStart` / `selectionEnd` give it. */
export interface Utf16Range {
  start: number;
  end: number;
}

/** Applies a text-unicode op to a string. */
export function applyTextOp(text: string, op: TextOp): string {
  return textType.apply(text, op);
}

/** Where `range` of `before` lies in `after = apply(before, op)`. */
export function transformRange(before: string, after: string, range: Utf16Range, op: TextOp): Utf16Range {
  const move = (utf16: number): number => toUtf16(after, textType.transformPosition(toCodePoints(before, utf16), op));
  const start = move(range.start);
  return range.end === range.start ? { start, end: start } : { start, end: Math.max(start, move(range.end)) };
}

/** A code-point range of a text as the DOM's UTF-16 range. */
export function rangeToUtf16(text: string, index: number, length: number): Utf16Range {
  const start = toUtf16(text, index);
  return { start, end: toUtf16(text, index + length) };
}

/** A DOM UTF-16 range as text-unicode's `{index, length}` in code points. */
export function rangeToCodePoints(text: string, range: Utf16Range): { index: number; length: number } {
  const index = toCodePoints(text, range.start);
  return { index, length: Math.max(0, toCodePoints(text, range.end) - index) };
}
