/**
 * Three-way merges of text documents, pure functions: given the document a user's edits were made on (`base`), the
 * user's version (`local`) and the document as it is now (`current`), find the op that re-applies the user's change
 * onto `current`. Both changes are taken as ops on `base` (the user's own ops when known, otherwise a diff), the
 * user's op is transformed against the other one exactly as the server would have transformed it, and the other one
 * against the user's op, which is how a client holding `local` moves to the merged document.
 *
 * Diffs are quill-delta's (Myers, via fast-diff, never splitting a surrogate pair), so changes in different places
 * of the document stay separate hunks and an edit inside unchanged text lands where the user made it.
 */
import type { TextOp } from 'ot-text-unicode';
import { richTextType } from '@concord/shared';
import { Delta, type DeltaOp } from '../undo/delta.js';
import { codePointLength } from '../text/code-points.js';
import { textType } from '../text/text-type.js';

/** The result of a three-way merge. */
export interface ThreeWayMerge<Doc, Op> {
  /** The merged document: `current` with the user's change. */
  readonly merged: Doc;
  /** The user's change as an op on `current` (what to submit). Empty when there is nothing left to apply. */
  readonly localOnCurrent: Op;
  /** The other users' change as an op on `local` (what turns the user's document into `merged`). */
  readonly currentOnLocal: Op;
}


interface RichType {
  transform(op: DeltaOp[] | Delta, other: DeltaOp[] | Delta, side: 'left' | 'right'): Delta;
}
const richType = richTextType as unknown as RichType;

/**
 * The text-unicode op turning `before` into `after`, in code points, one component per changed region. Deletes
 * carry the deleted text, so the op can be inverted.
 */
export function textDiffOp(before: string, after: string): TextOp {
  if (before === after) return [];
  const delta = new Delta().insert(before).diff(new Delta().insert(after));
  const op: TextOp = [];
  let at = 0; // UTF-16 offset in `before`
  for (const component of delta.ops) {
    if (typeof component.retain === 'number') {
      op.push(codePointLength(before.slice(at, at + component.retain)));
      at += component.retain;
    } else if (typeof component.delete === 'number') {
      op.push({ d: before.slice(at, at + component.delete) });
      at += component.delete;
    } else if (typeof component.insert === 'string') {
      op.push(component.insert);
    }
  }
  return textType.normalize(op);
}

/** Composes a user's consecutive text-unicode ops (each on the result of the previous) into one. */
export function composeTextOps(ops: readonly TextOp[]): TextOp {
  return ops.reduce<TextOp>((all, op) => textType.compose(all, op), []);
}

/**
 * Merges text-unicode documents. `localOp`, when given, is the user's change as made (`apply(base, localOp)` must be
 * `local`); it says more than a diff can (typing "a" into "aa" is ambiguous to a diff, not to the op).
 * Where both sides insert at one position, the user's text comes first: the server breaks that tie the same way for
 * an op that arrives late (text-unicode's side 'left').
 */
export function mergeText(base: string, local: string, current: string, localOp?: TextOp): ThreeWayMerge<string, TextOp> {
  const mine = localOp ?? textDiffOp(base, local);
  if (textType.apply(base, mine) !== local) throw new Error('mergeText: localOp does not turn base into local');
  const theirs = textDiffOp(base, current);
  const localOnCurrent = textType.transform(mine, theirs, 'left');
  const currentOnLocal = textType.transform(theirs, mine, 'right');
  return { merged: textType.apply(current, localOnCurrent), localOnCurrent, currentOnLocal };
}

/** A rich-text document or change: a quill-delta Delta, `{ops}`, or the ops array. */
export type DeltaInput = Delta | { ops: DeltaOp[] } | DeltaOp[];

const toDelta = (value: DeltaInput): Delta => new Delta(Array.isArray(value) ? value : value.ops);

/**
 * Merges rich-text documents (Deltas made of inserts only). `localOp` as for mergeText. Ties are broken as the server
 * breaks them for a late op (rich-text's side 'left'): where both insert at one position the other users' text comes
 * first, and where both set the same attribute on the same text their value stays; other formats of both apply.
 */
export function mergeRichText(base: DeltaInput, local: DeltaInput, current: DeltaInput, localOp?: DeltaInput): ThreeWayMerge<Delta, Delta> {
  const baseDoc = toDelta(base);
  const mine = localOp ? toDelta(localOp) : baseDoc.diff(toDelta(local));
  const theirs = baseDoc.diff(toDelta(current));
  const localOnCurrent = richType.transform(mine, theirs, 'left');
  const currentOnLocal = richType.transform(theirs, mine, 'right');
  return { merged: toDelta(current).compose(localOnCurrent), localOnCurrent, currentOnLocal };
}
