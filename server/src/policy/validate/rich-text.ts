/**
 * rich-text (Quill deltas): a document is a list of inserts; an op is a list of `retain` / `delete` (positive
 * integers) and `insert` (a non-empty string or a one-key embed object), with optional attributes. Lengths are
 * UTF-16 units, an embed counts 1. The type validates nothing: a retain or delete past the end composes into the
 * snapshot as a `retain` / `delete` entry, a negative or fractional retain deletes text, an insert of a number is
 * stored. Structure is checked here; when the op can grow the document, the type's apply runs (it never mutates its
 * input) and the result is checked to hold only inserts and to fit the size cap.
 */
import { richTextType } from '@concord/shared';
import { invalid, kindOf, messageOf, shown } from './invalid.js';
import { checkDocBytes, inspectJson, isPlainObject, type ValidationLimits } from './limits.js';

const OP_FIELDS: ReadonlySet<string> = new Set(['insert', 'retain', 'delete', 'attributes']);

export function validateRichTextCreate(data: unknown, limits: ValidationLimits): void {
  if (data === undefined) return; // the type creates an empty delta
  const ops = deltaOps(data, 'created document');
  inspectJson(ops, { maxDepth: limits.maxDepth, maxBytes: limits.maxDocBytes, subject: 'created document' });
  ops.forEach((entry, i) => checkDocumentEntry(entry, `created document[${i}]`));
}

export function validateRichTextOp(data: unknown, op: unknown, limits: ValidationLimits): void {
  const where = 'rich-text op';
  const ops = deltaOps(op, where);
  inspectJson(ops, { maxDepth: limits.maxDepth, maxBytes: limits.maxOpBytes, subject: where });
  const docLength = documentLength(deltaOps(data, 'document'));
  let consumed = 0;
  let grows = false;
  ops.forEach((component, i) => {
    const at = `${where}[${i}]`;
    const kind = checkOpEntry(component, at);
    const entry = component as Record<string, unknown>;
    if (kind === 'insert') {
      grows = true;
      return;
    }
    if (kind === 'retain' && entry['attributes'] !== undefined) grows = true;
    consumed += entry[kind] as number;
    if (consumed > docLength) {
      invalid(`${at}: ${kind}s past the end of the document (to ${consumed}, length ${docLength})`);
    }
  });
  if (!grows) return; // deletes and plain retains within the document cannot leave anything but inserts
  checkResult(applyDelta(data, ops), limits, where);
}

/** The entries of a delta given as a list or as `{ops: [...]}` (a Delta instance included). */
function deltaOps(value: unknown, where: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    const ops = (value as { ops?: unknown }).ops;
    if (keys.length === 1 && keys[0] === 'ops' && Array.isArray(ops)) return ops;
  }
  return invalid(`${where} must be a delta (a list of entries or {ops: [...]})`);
}

/** Quill length of a document's inserts; entries that are not inserts (already stored by older servers) count 0. */
function documentLength(ops: readonly unknown[]): number {
  let length = 0;
  for (const entry of ops) {
    const insert = isPlainObject(entry) ? entry['insert'] : undefined;
    if (typeof insert === 'string') length += insert.length;
    else if (insert !== undefined) length += 1;
  }
  return length;
}

type EntryKind = 'insert' | 'retain' | 'delete';

function checkOpEntry(entry: unknown, where: string): EntryKind {
  if (!isPlainObject(entry)) invalid(`${where}: an entry must be an object`);
  for (const key of Object.keys(entry)) if (!OP_FIELDS.has(key)) invalid(`${where}: unknown field ${shown(key)}`);
  const kinds = (['insert', 'retain', 'delete'] as const).filter((k) => entry[k] !== undefined);
  if (kinds.length !== 1) invalid(`${where}: needs exactly one of insert, retain, delete`);
  const kind = kinds[0] as EntryKind;
  if (kind === 'insert') checkInsert(entry, where);
  else {
    const n = entry[kind];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
      invalid(`${where}: ${kind} must be a positive integer`);
    }
    if (kind === 'delete' && entry['attributes'] !== undefined) invalid(`${where}: a delete takes no attributes`);
    if (entry['attributes'] !== undefined) checkAttributes(entry['attributes'], where, true);
  }
  return kind;
}

function checkDocumentEntry(entry: unknown, where: string): void {
  if (!isPlainObject(entry)) invalid(`${where}: an entry must be an object`);
  for (const key of Object.keys(entry)) {
    if (key !== 'insert' && key !== 'attributes') {
      invalid(`${where}: a document holds only inserts (found ${shown(key)})`);
    }
  }
  checkInsert(entry, where);
}

function checkInsert(entry: Record<string, unknown>, where: string): void {
  const insert = entry['insert'];
  if (typeof insert === 'string') {
    if (insert.length === 0) invalid(`${where}: an insert must not be empty`);
  } else if (!isPlainObject(insert) || Object.keys(insert).length !== 1) {
    invalid(`${where}: an insert is a string or an embed object with one key (got ${kindOf(insert)})`);
  }
  if (entry['attributes'] !== undefined) checkAttributes(entry['attributes'], where, false);
}

/** Attributes are a non-empty object of JSON primitives; null (removal) only on retains. */
function checkAttributes(attributes: unknown, where: string, allowNull: boolean): void {
  if (!isPlainObject(attributes)) invalid(`${where}: attributes must be an object`);
  const keys = Object.keys(attributes);
  if (keys.length === 0) invalid(`${where}: attributes must not be empty (omit them)`);
  for (const key of keys) {
    const value = attributes[key];
    if (value === null ? !allowNull : typeof value === 'object') {
      invalid(`${where}: attribute ${shown(key)} must be a string, number or boolean${allowNull ? ' or null' : ''}`);
    }
  }
}

function applyDelta(data: unknown, ops: unknown[]): unknown[] {
  try {
    return (richTextType.apply(data, ops) as { ops: unknown[] }).ops;
  } catch (err) {
    return invalid(`rich-text op does not apply: ${messageOf(err)}`);
  }
}

/** Entries come from the document or from the op's checked inserts; what must be verified is that all are inserts. */
function checkResult(result: unknown[], limits: ValidationLimits, where: string): void {
  result.forEach((entry, i) => {
    const e = entry as Record<string, unknown>;
    if (e['insert'] === undefined || e['retain'] !== undefined || e['delete'] !== undefined) {
      invalid(`${where}: the result would hold a non-insert at ${i}`);
    }
  });
  checkDocBytes(result, limits, where);
}
