/**
 * The shared text-unicode type with the client's types on it: one typed view, so that the code working on plain
 * text (carets, the three-way merge, the text binding) casts the registry's untyped OTType in one place.
 */
import { textUnicodeType } from '@concord/shared';
import type { TextOp } from 'ot-text-unicode';

export interface TextType {
  apply(text: string, op: TextOp): string;
  transform(op: TextOp, other: TextOp, side: 'left' | 'right'): TextOp;
  compose(a: TextOp, b: TextOp): TextOp;
  normalize(op: TextOp): TextOp;
  transformPosition(cursor: number, op: TextOp): number;
}

export const textType = textUnicodeType as unknown as TextType;
