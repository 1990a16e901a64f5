/**
 * text-unicode: a document is a string; an op is a list of skips (positive integers), inserts (non-empty strings)
 * and deletes (`{d: count}` or `{d: "text"}`), positions in Unicode code points. The type's own `checkOp` checks the
 * list's grammar; it does not check that positions and deletes stay within the text (a delete past the end is
 * silently cut short, a fractional skip is applied), that `{d: "text"}` matches the document, or that inserts hold
 * whole characters. Nor does it require the normal form its transform relies on: with two adjacent inserts, the
 * left-side transform puts only the first before a concurrent insert at the same place, and replicas diverge
 * (`["5","a"]` against `["ab"]` on "aaaaa" gives "5aabaaaaa" on one side and "5abaaaaaa" on the other). The same
 * checks serve json1's embedded `es` edits.
 */
import { Buffer } from 'node:buffer';
import { textUnicodeType } from '@concord/shared';
import { invalid, messageOf } from './invalid.js';
import { checkTextBytes, inspectJson, isPlainObject, type ValidationLimits } from './limits.js';
import { CodePoints, hasLoneSurrogate } from './unicode.js';

const checkOp = textUnicodeType['checkOp'] as (op: unknown) => void;
const apply = textUnicodeType.apply as (text: string, op: unknown) => string;

export function validateTextUnicodeCreate(data: unknown, limits: ValidationLimits): void {
  if (data === undefined) return; // the type creates ''
  if (typeof data !== 'string') invalid('text-unicode document must be created from a string');
  if (hasLoneSurrogate(data)) invalid('created text holds a lone surrogate');
  checkTextBytes(() => data, data.length * 3, limits, 'created text');
}

export function validateTextUnicodeOp(data: unknown, op: unknown, limits: ValidationLimits): void {
  const where = 'text-unicode op';
  inspectJson(op, { maxDepth: limits.maxDepth, maxBytes: limits.maxOpBytes, subject: where });
  if (typeof data !== 'string') invalid(`${where}: the document is not text`);
  const inserted = checkTextEdit(data, op, where);
  // A UTF-16 unit is at most 3 UTF-8 bytes, so the exact count is only needed near the cap.
  checkTextBytes(() => apply(data, op), data.length * 3 + inserted, limits, where);
}

/** Checks a text-unicode op against the text it applies to. Returns the UTF-8 bytes it inserts. */
export function checkTextEdit(text: string, op: unknown, where: string): number {
  if (!Array.isArray(op)) invalid(`${where}: must be a list of components`);
  op.forEach((component, i) => {
    checkComponentShape(component, `${where}[${i}]`);
    if (i > 0 && typeof component !== 'number' && typeof component === typeof op[i - 1]) {
      const what = typeof component === 'string' ? 'inserts' : 'deletes';
      invalid(`${where}[${i}]: adjacent ${what} must be combined into one`);
    }
  });
  try {
    checkOp(op); // adjacent and trailing skips
  } catch (err) {
    invalid(`${where}: ${messageOf(err)}`);
  }
  const points = new CodePoints(text);
  let position = 0; // code points into the original text
  let unit = 0; // the same position in UTF-16 units
  let inserted = 0;
  op.forEach((component: unknown, i: number) => {
    if (typeof component === 'string') {
      inserted += Buffer.byteLength(component);
      return;
    }
    const d = typeof component === 'number' ? undefined : (component as { d: number | string }).d;
    const count = d === undefined ? (component as number) : typeof d === 'number' ? d : new CodePoints(d).length;
    const end = points.advance(unit, count);
    if (end > text.length) {
      const what = d === undefined ? 'skips' : 'deletes';
      invalid(`${where}[${i}]: ${what} past the end of the text (to ${position + count}, length ${points.length})`);
    }
    if (typeof d === 'string' && text.slice(unit, end) !== d) {
      invalid(`${where}[${i}]: deleted text does not match the document at ${position}`);
    }
    position += count;
    unit = end;
  });
  return inserted;
}

function checkComponentShape(component: unknown, where: string): void {
  switch (typeof component) {
    case 'number':
      if (!Number.isSafeInteger(component) || component <= 0) invalid(`${where}: a skip must be a positive integer`);
      return;
    case 'string':
      if (component.length === 0) invalid(`${where}: an insert must not be empty`);
      if (hasLoneSurrogate(component)) invalid(`${where}: insert holds a lone surrogate`);
      return;
    default: {
      if (!isPlainObject(component) || Object.keys(component).length !== 1 || !('d' in component)) {
        invalid(`${where}: a component is a skip count, an insert string or {d}`);
      }
      const d = component['d'];
      if (typeof d === 'number' ? !Number.isSafeInteger(d) || d <= 0 : typeof d !== 'string' || d.length === 0) {
        invalid(`${where}: d must be a positive integer or a non-empty string`);
      }
    }
  }
}
