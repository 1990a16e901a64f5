/**
 * Turns a change of a text field (old value → new value) into a text-unicode op, in code points. A field reports
 * only its new value; where the change is ambiguous (typing "a" into "aa"), the caret after the edit says where it
 * happened. Deletes carry the deleted text, so the op can be inverted.
 */
import type { TextOp } from 'ot-text-unicode';
import { splitsPair, toCodePoints } from './code-points.js';

interface Change {
  /** UTF-16 offset where old and new start to differ. */
  start: number;
  removed: string;
  inserted: string;
}

/** The op that turns `before` into `after`; `caret` is the UTF-16 caret after the edit, when known. */
export function diffToTextOp(before: string, after: string, caret?: number): TextOp {
  if (before === after) return [];
  const change = (caret !== undefined ? changeAtCaret(before, after, caret) : undefined) ?? changeByAffixes(before, after);
  const op: TextOp = [];
  const skip = toCodePoints(before, change.start);
  if (skip > 0) op.push(skip);
  if (change.removed) op.push({ d: change.removed });
  if (change.inserted) op.push(change.inserted);
  return op;
}

/** A pure insertion ending at the caret, or a pure deletion starting at it, when that explains the change. */
function changeAtCaret(before: string, after: string, caret: number): Change | undefined {
  const grown = after.length - before.length;
  if (grown > 0) {
    const start = caret - grown;
    if (start < 0 || splitsPair(before, start)) return undefined;
    if (before.slice(0, start) === after.slice(0, start) && before.slice(start) === after.slice(caret)) {
      return { start, removed: '', inserted: after.slice(start, caret) };
    }
  } else if (grown < 0) {
    const end = caret - grown;
    if (caret > after.length || splitsPair(before, caret) || splitsPair(before, end)) return undefined;
    if (before.slice(0, caret) === after.slice(0, caret) && before.slice(end) === after.slice(caret)) {
      return { start: caret, removed: before.slice(caret, end), inserted: '' };
    }
  }
  return undefined;
}

/** The change between the longest common prefix and suffix, never splitting a surrogate pair. */
function changeByAffixes(before: string, after: string): Change {
  const limit = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < limit && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  if (splitsPair(before, prefix) || splitsPair(after, prefix)) prefix--;
  let suffix = 0;
  const room = limit - prefix;
  while (suffix < room && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) {
    suffix++;
  }
  if (splitsPair(before, before.length - suffix) || splitsPair(after, after.length - suffix)) suffix--;
  return {
    start: prefix,
    removed: before.slice(prefix, before.length - suffix),
    inserted: after.slice(prefix, after.length - suffix),
  };
}
