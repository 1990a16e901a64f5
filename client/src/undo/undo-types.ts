/** The OT types' undo adapters: rich-text (Quill deltas) and json1. */
import { Delta, type DeltaOp } from './delta.js';
import * as json1 from 'ot-json1';
import type { Doc as JsonDoc, JSONOp } from 'ot-json1';
import { json1Type, richTextType } from '@concord/shared';
import type { UndoType } from './undo-manager.js';

/** Something with Delta ops: a quill-delta Delta of any copy, or the rich-text snapshot. */
export interface DeltaLike {
  ops: DeltaOp[];
}

const toDelta = (value: DeltaLike | DeltaOp[]): Delta => new Delta(Array.isArray(value) ? value : value.ops);

/** rich-text: inverses from the document the op applied to; transform and compose as the server does them. */
export const richTextUndo: UndoType<Delta, DeltaLike> = {
  transform: (op, other, side) => toDelta(richTextType.transform(op, other, side) as DeltaLike),
  invert: (op, before) => toDelta(op).invert(toDelta(before)),
  compose: (a, b) => toDelta(a).compose(toDelta(b)),
  isNoop: (op) => toDelta(op).ops.length === 0 || toDelta(op).ops.every((o: DeltaOp) => o.retain !== undefined && !o.attributes),
};

/** json1 with Concord's conflict policy; inverses made exact from the document (removed values included). */
export const json1Undo: UndoType<JSONOp, JsonDoc | undefined> = {
  transform: (op, other, side) => json1Type.transform(op, other, side) as JSONOp,
  invert: (op, before) => json1.type.invertWithDoc(op, before as JsonDoc),
  compose: (a, b) => json1.type.compose(a, b),
  isNoop: (op) => json1.type.isNoop(op),
};
