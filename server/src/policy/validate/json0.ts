/**
 * json0: an op is a list of components `{p: path, <instruction>}` applied in order, each path addressing the document
 * as the previous components left it. ot-json0 checks only that `p` is a list: it does not check that paths exist or
 * that list indices are in range (an `lm` past the end leaves a hole that serializes as null on one replica and not
 * on the other), that `na` adds a number (`0 + "5"` stores the string "05"), or that `ld` / `od` match what they
 * delete, and an `oi` over an existing key without `od` diverges against a concurrent `od`. Subtype ops (`t` / `o`)
 * are refused: the only registered subtype is text0, whose edits are what `si` / `sd` already express, and ot-json0
 * does not transform `si` / `sd` against `t: 'text0'` on the same string (neither side is shifted, so replicas
 * diverge). Each component is checked against the document and applied by copying only the containers on its path,
 * so the result (for the size cap and the schema) costs the path, not the document.
 */
import { formatPath, invalid, kindOf, shown, type PathKey } from './invalid.js';
import { checkKey, checkTopLevelKey, checkTopLevelKeys } from './keys.js';
import {
  checkDocBytes, checkValueDepth, inspectJson, isPlainObject, type ValidationLimits,
} from './limits.js';
import { deepEqual, updateIn } from './json-tree.js';

type Instruction = 'na' | 'li' | 'ld' | 'lr' | 'lm' | 'oi' | 'od' | 'or' | 'si' | 'sd';

/** The instruction a component carries, by its sorted field names (besides `p`). */
const INSTRUCTIONS: ReadonlyMap<string, Instruction> = new Map([
  ['na', 'na'], ['li', 'li'], ['ld', 'ld'], ['ld,li', 'lr'], ['lm', 'lm'],
  ['oi', 'oi'], ['od', 'od'], ['od,oi', 'or'], ['si', 'si'], ['sd', 'sd'],
]);
const FIELDS: ReadonlySet<string> = new Set(['p', 'na', 'li', 'ld', 'lm', 'oi', 'od', 'si', 'sd', 't', 'o']);
/**
 * Instructions that can make the document larger (the size cap is then measured on the result). Not `na`: a number's
 * JSON is at most 24 bytes and the size bound already counts every number at 24, so counters stay cheap.
 */
const GROWING: ReadonlySet<Instruction> = new Set(['li', 'lr', 'oi', 'or', 'si']);

type Component = Record<string, unknown> & { p: PathKey[] };

interface Step {
  readonly c: Component;
  readonly path: PathKey[];
  readonly where: string;
  readonly limits: ValidationLimits;
}

export function validateJson0Create(data: unknown, limits: ValidationLimits): unknown {
  const doc = data === undefined ? null : data; // what ot-json0's create makes of no data
  inspectJson(doc, { maxDepth: limits.maxDepth, maxBytes: limits.maxDocBytes, subject: 'created document' });
  checkTopLevelKeys(doc, 'created document');
  return doc;
}

/** Checks a json0 op against the document; returns the document it produces. */
export function validateJson0Op(data: unknown, op: unknown, limits: ValidationLimits): unknown {
  const where = 'json0 op';
  inspectJson(op, { maxDepth: limits.maxDepth, maxBytes: limits.maxOpBytes, subject: where });
  if (!Array.isArray(op)) invalid(`${where} must be a list of components`);
  let doc = data;
  let grows = false;
  op.forEach((component: unknown, i: number) => {
    const at = `${where}[${i}]`;
    if (!isPlainObject(component)) invalid(`${at}: a component must be an object`);
    const instruction = instructionOf(component, at);
    const step: Step = { c: component as Component, path: checkPath(component['p'], at), where: at, limits };
    doc = applyInstruction(doc, instruction, step);
    grows ||= GROWING.has(instruction);
  });
  if (grows) checkDocBytes(doc, limits, where);
  return doc;
}

function instructionOf(c: Record<string, unknown>, where: string): Instruction {
  const fields: string[] = [];
  for (const key of Object.keys(c)) {
    if (!FIELDS.has(key)) invalid(`${where}: unknown field ${shown(key)}`);
    if (key === 't' || key === 'o') invalid(`${where}: subtype ops (t/o) are not supported; use si/sd for strings`);
    if (key !== 'p') fields.push(key);
  }
  const instruction = INSTRUCTIONS.get(fields.sort().join(','));
  if (instruction === undefined) {
    const got = fields.join('+') || 'none';
    invalid(`${where}: needs one instruction (na, li, ld, li+ld, lm, oi, od, oi+od, si or sd), got ${got}`);
  }
  return instruction;
}

function checkPath(p: unknown, where: string): PathKey[] {
  if (!Array.isArray(p)) invalid(`${where}: p must be a path list`);
  p.forEach((key: unknown, i: number) => {
    if (typeof key === 'string') checkKey(key, p.slice(0, i + 1) as PathKey[], where);
    else if (typeof key !== 'number' || !Number.isSafeInteger(key) || key < 0) {
      invalid(`${where}: path step ${i} must be a key or a non-negative integer`);
    }
  });
  return p as PathKey[];
}

function applyInstruction(doc: unknown, instruction: Instruction, step: Step): unknown {
  switch (instruction) {
    case 'na': return numberAdd(doc, step);
    case 'li': case 'ld': case 'lr': return listEdit(doc, instruction, step);
    case 'lm': return listMove(doc, step);
    case 'oi': case 'od': case 'or': return objectEdit(doc, instruction, step);
    case 'si': case 'sd': return stringEdit(doc, step);
  }
}

function numberAdd(doc: unknown, { c, path, where }: Step): unknown {
  const na = c['na'];
  if (typeof na !== 'number') invalid(`${where}: na must be a number`);
  return updateIn(doc, path, (value) => {
    if (typeof value !== 'number') invalid(`${where}: na on a ${kindOf(value)} at ${formatPath(path)}`);
    const sum = value + na;
    if (!Number.isFinite(sum)) invalid(`${where}: na overflows at ${formatPath(path)}`);
    return sum;
  }, where);
}

/** Splits a container op's path into its parent path and the key it edits. */
function parentAndKey(step: Step, instruction: string): [PathKey[], PathKey] {
  if (step.path.length === 0) invalid(`${step.where}: ${instruction} needs a non-empty path`);
  return [step.path.slice(0, -1), step.path[step.path.length - 1] as PathKey];
}

function listIndex(list: unknown[], key: PathKey, max: number, step: Step, parent: PathKey[]): number {
  if (typeof key !== 'number') invalid(`${step.where}: key ${shown(key)} on a list at ${formatPath(parent)}`);
  if (key > max) invalid(`${step.where}: index ${key} out of range at ${formatPath(parent)} (length ${list.length})`);
  return key;
}

function requireList(node: unknown, instruction: string, step: Step, parent: PathKey[]): unknown[] {
  if (!Array.isArray(node)) {
    invalid(`${step.where}: ${instruction} needs a list at ${formatPath(parent)}, found ${kindOf(node)}`);
  }
  return node;
}

function listEdit(doc: unknown, instruction: 'li' | 'ld' | 'lr', step: Step): unknown {
  const { c, path, where, limits } = step;
  const [parent, key] = parentAndKey(step, instruction);
  return updateIn(doc, parent, (node) => {
    const list = requireList(node, instruction, step, parent);
    const index = listIndex(list, key, instruction === 'li' ? list.length : list.length - 1, step, parent);
    if (instruction !== 'li' && !deepEqual(list[index], c['ld'])) {
      invalid(`${where}: ld does not match the item at ${formatPath(path)}`);
    }
    if (instruction !== 'ld') checkValueDepth(c['li'], path.length, limits, where);
    const copy = list.slice();
    if (instruction === 'li') copy.splice(index, 0, c['li']);
    else if (instruction === 'ld') copy.splice(index, 1);
    else copy[index] = c['li'];
    return copy;
  }, where);
}

function listMove(doc: unknown, step: Step): unknown {
  const { c, where } = step;
  const [parent, key] = parentAndKey(step, 'lm');
  return updateIn(doc, parent, (node) => {
    const list = requireList(node, 'lm', step, parent);
    const from = listIndex(list, key, list.length - 1, step, parent);
    const to = c['lm'];
    if (typeof to !== 'number' || !Number.isSafeInteger(to) || to < 0 || to > list.length - 1) {
      invalid(`${where}: lm must be an index in range at ${formatPath(parent)} (0..${list.length - 1})`);
    }
    if (to === from) return list;
    const copy = list.slice();
    const [item] = copy.splice(from, 1);
    copy.splice(to, 0, item);
    return copy;
  }, where);
}

function objectEdit(doc: unknown, instruction: 'oi' | 'od' | 'or', step: Step): unknown {
  const { c, path, where, limits } = step;
  if (path.length === 0) return rootEdit(doc, instruction, step);
  const [parent, key] = parentAndKey(step, instruction);
  if (typeof key !== 'string') invalid(`${where}: ${instruction} needs a string key, got ${key}`);
  if (instruction !== 'od' && path.length === 1) checkTopLevelKey(key, where);
  return updateIn(doc, parent, (node) => {
    if (!isPlainObject(node)) {
      invalid(`${where}: ${instruction} needs an object at ${formatPath(parent)}, found ${kindOf(node)}`);
    }
    const exists = Object.prototype.hasOwnProperty.call(node, key);
    if (instruction === 'oi' && exists) {
      invalid(`${where}: oi at existing key ${formatPath(path)} needs od with its value`);
    }
    if (instruction !== 'oi') {
      if (!exists) invalid(`${where}: od of missing key ${formatPath(path)}`);
      if (!deepEqual(node[key], c['od'])) invalid(`${where}: od does not match the value at ${formatPath(path)}`);
    }
    const copy = { ...node };
    if (instruction === 'od') delete copy[key];
    else {
      checkValueDepth(c['oi'], path.length, limits, where);
      copy[key] = c['oi'];
    }
    return copy;
  }, where);
}

/** `p: []` replaces the whole document: od must match it; removing it is a delete, not an op. */
function rootEdit(doc: unknown, instruction: 'oi' | 'od' | 'or', { c, where, limits }: Step): unknown {
  if (instruction === 'od') invalid(`${where}: od at the root removes the document; delete it instead`);
  if (instruction === 'oi' && doc !== null && doc !== undefined) {
    invalid(`${where}: oi at the root needs od with the document`);
  }
  if (instruction === 'or' && !deepEqual(doc, c['od'])) invalid(`${where}: od does not match the document`);
  checkValueDepth(c['oi'], 0, limits, where);
  checkTopLevelKeys(c['oi'], where);
  return c['oi'];
}

/** Legacy string ops: the path's last step is a UTF-16 offset into the string the rest addresses. */
function stringEdit(doc: unknown, step: Step): unknown {
  const { c, path, where } = step;
  const insert = c['si'];
  const remove = c['sd'];
  const [target, offset] = parentAndKey(step, insert !== undefined ? 'si' : 'sd');
  if (typeof offset !== 'number') invalid(`${where}: a string offset must be an integer, got ${shown(offset)}`);
  return updateIn(doc, target, (value) => {
    if (typeof value !== 'string') invalid(`${where}: string op on a ${kindOf(value)} at ${formatPath(target)}`);
    return spliceText(value, offset, insert, remove, where, path);
  }, where);
}

function spliceText(
  text: string, at: number, insert: unknown, remove: unknown, where: string, path: PathKey[],
): string {
  if (at > text.length) {
    invalid(`${where}: offset ${at} past the end of the string at ${formatPath(path)} (length ${text.length})`);
  }
  if (insert !== undefined) {
    if (typeof insert !== 'string') invalid(`${where}: an insert must be a string`);
    return text.slice(0, at) + insert + text.slice(at);
  }
  if (typeof remove !== 'string') invalid(`${where}: a delete must be a string`);
  if (text.slice(at, at + remove.length) !== remove) {
    invalid(`${where}: deleted text does not match the string at ${formatPath(path)}`);
  }
  return text.slice(0, at) + text.slice(at + remove.length);
}
