/**
 * json1: an op is a tree of descents; components pick up (`r` remove, `p` pick into a slot) in the original
 * document's coordinates, then drop (`i` insert, `d` drop a slot) and edit (`es` text-unicode, `ena` number add) in
 * the final document's coordinates. json1's own `checkValidOp` checks the tree's grammar and its apply refuses most
 * impossible drops; it misses: picks of inherited properties (picking `toString` moves a function into the document),
 * edits through a list's `length`, drops through a string key on a list (apply reads `list["1"]` as index 1, transform
 * treats "1" and 1 as different keys, so replicas diverge), `ena` on null, booleans or strings (`null + 1` is 1,
 * `"5" + 1` is "51"), `es` deleting past the end, removing the root, and nothing checks `es` at all (text-unicode has
 * `checkOp`, json1 asks for `checkValidOp`). json1's apply shares structure with its input, so results are cheap and
 * the input is untouched.
 */
import { json1Type } from '@concord/shared';
import { formatPath, invalid, kindOf, messageOf, shown, type PathKey } from './invalid.js';
import { checkKey, checkTopLevelKey, checkTopLevelKeys } from './keys.js';
import { checkDocBytes, checkValueDepth, inspectJson, type ValidationLimits } from './limits.js';
import { childOf, MISSING, valueAt, type Maybe } from './json-tree.js';
import { checkTextEdit } from './text-unicode.js';

interface WriteCursor {
  write(key: string, value: unknown): void;
  mergeTree(op: unknown, merge: (component: Record<string, unknown>, cursor: WriteCursor) => void): void;
  get(): unknown;
}

const checkValidOp = json1Type['checkValidOp'] as (op: unknown) => void;
const writeCursor = json1Type['writeCursor'] as () => WriteCursor;

interface Edit {
  readonly path: PathKey[];
  readonly kind: 'es' | 'ena';
  readonly edit: unknown;
}

/** What one walk over the op learns. */
interface Scan {
  readonly picks: Map<unknown, { path: PathKey[]; value: unknown }>;
  readonly drops: Array<{ slot: unknown; path: PathKey[] }>;
  readonly edits: Edit[];
  /** Where inserts and drops land (final coordinates). */
  readonly placed: PathKey[][];
  /** Any r, p, i or d. */
  structural: boolean;
  /** Any insert, or a text edit that inserts: the size cap is then measured on the result. */
  grows: boolean;
}

export function validateJson1Create(data: unknown, limits: ValidationLimits): unknown {
  if (data === undefined) invalid('a json1 document must be created with JSON data (null, an object, a list, ...)');
  inspectJson(data, { maxDepth: limits.maxDepth, maxBytes: limits.maxDocBytes, subject: 'created document' });
  checkTopLevelKeys(data, 'created document');
  return data;
}

/** Checks a json1 op against the document; returns the document it produces. */
export function validateJson1Op(data: unknown, op: unknown, limits: ValidationLimits): unknown {
  const where = 'json1 op';
  inspectJson(op, { maxDepth: limits.maxDepth, maxBytes: limits.maxOpBytes, subject: where });
  if (op === null) return data; // json1's no-op
  try {
    checkValidOp(op);
  } catch (err) {
    invalid(`${where} is malformed: ${messageOf(err)}`);
  }
  const scan = scanOp(data, op as unknown[], limits, where);
  checkDrops(scan, limits, where);
  // Edits apply after the drops, to the values the drops leave: check them against the op's result without edits.
  const beforeEdits = scan.edits.length === 0 ? applyOp(data, op, where)
    : scan.structural ? applyOp(data, stripEdits(op), where) : data;
  for (const path of scan.placed) checkPlaced(beforeEdits, path, where);
  for (const edit of scan.edits) checkEdit(beforeEdits, edit, where);
  const result = scan.edits.length === 0 ? beforeEdits : applyOp(data, op, where);
  if (result === undefined) invalid(`${where} removes the document root; delete the document instead`);
  if (scan.grows) checkDocBytes(result, limits, where);
  return result;
}

function scanOp(data: unknown, op: unknown[], limits: ValidationLimits, where: string): Scan {
  const scan: Scan = { picks: new Map(), drops: [], edits: [], placed: [], structural: false, grows: false };
  const walk = (descent: unknown[], path: PathKey[], original: Maybe<unknown>): void => {
    let here = path;
    let node = original; // the value at `here` in the original document (the coordinates picks use)
    for (const item of descent) {
      if (Array.isArray(item)) walk(item, here, node);
      else if (typeof item === 'object' && item !== null) {
        visitComponent(scan, item as Record<string, unknown>, here, node, limits, where);
      } else {
        const key = item as PathKey;
        here = [...here, key];
        checkKey(key, here, where);
        node = node === MISSING ? MISSING : childOf(node, key);
      }
    }
  };
  walk(op, [], data);
  return scan;
}

/** Records one component met at `path`; `original` is the value there in the original document. */
function visitComponent(
  scan: Scan, c: Record<string, unknown>, path: PathKey[], original: Maybe<unknown>,
  limits: ValidationLimits, where: string,
): void {
  const at = (): string => formatPath(path); // only for a refusal: formatting costs more than the checks
  if (c['r'] !== undefined || c['p'] !== undefined) {
    scan.structural = true;
    const verb = c['r'] !== undefined ? 'removes' : 'moves';
    if (original === MISSING) invalid(`${where}: ${verb} ${at()}, which does not exist`);
    if (c['p'] !== undefined) scan.picks.set(c['p'], { path, value: original });
  }
  if (c['i'] !== undefined) {
    scan.structural = scan.grows = true;
    checkValueDepth(c['i'], path.length, limits, where);
    if (path.length === 0) checkTopLevelKeys(c['i'], where);
  }
  if (c['d'] !== undefined) {
    scan.structural = true;
    scan.drops.push({ slot: c['d'], path });
  }
  if (c['i'] !== undefined || c['d'] !== undefined) {
    scan.placed.push(path);
    if (path.length === 1) checkTopLevelKey(path[0] as PathKey, where);
  }
  if (c['e'] !== undefined || c['et'] !== undefined) {
    invalid(`${where}: edit type ${shown(String(c['et']))} at ${at()} is not supported (use es or ena)`);
  }
  if (c['es'] !== undefined) scan.edits.push({ path, kind: 'es', edit: c['es'] });
  if (c['ena'] !== undefined) {
    if (typeof c['ena'] !== 'number') invalid(`${where}: ena at ${at()} must be a number`);
    scan.edits.push({ path, kind: 'ena', edit: c['ena'] });
  }
  // Text inserts grow the document; a number add cannot grow it past the 24 bytes the size bound counts per number.
  if (Array.isArray(c['es']) && c['es'].some((part) => typeof part === 'string')) scan.grows = true;
}

/** A moved subtree must still fit the depth cap where it lands; moved to the root, its keys become top-level keys. */
function checkDrops(scan: Scan, limits: ValidationLimits, where: string): void {
  for (const drop of scan.drops) {
    const pick = scan.picks.get(drop.slot);
    if (pick === undefined) continue; // checkValidOp pairs every drop with a pick
    if (drop.path.length > pick.path.length) checkValueDepth(pick.value, drop.path.length, limits, where);
    if (drop.path.length === 0) checkTopLevelKeys(pick.value, where);
  }
}

/** What an op inserted or dropped must be where its path says, read strictly (no "1" for 1, no inherited keys). */
function checkPlaced(doc: unknown, path: PathKey[], where: string): void {
  let node = doc;
  path.forEach((key, i) => {
    node = childOf(node, key);
    if (node === MISSING) {
      const parent = formatPath(path.slice(0, i));
      invalid(`${where}: inserts at ${formatPath(path)}, but ${shown(String(key))} does not address ${parent}`);
    }
  });
}

function checkEdit(doc: unknown, { path, kind, edit }: Edit, where: string): void {
  const target = valueAt(doc, path);
  const found = (): string => (target === MISSING ? 'missing value' : kindOf(target));
  const at = (): string => formatPath(path);
  if (kind === 'es') {
    if (typeof target !== 'string') invalid(`${where}: es on a ${found()} at ${at()}`);
    checkTextEdit(target, edit, `${where}: es at ${at()}`);
    return;
  }
  if (typeof target !== 'number') invalid(`${where}: ena on a ${found()} at ${at()}`);
  if (!Number.isFinite(target + (edit as number))) invalid(`${where}: ena overflows at ${at()}`);
}

/** The op without its edits (same picks and drops), normalized by json1's own cursor. */
function stripEdits(op: unknown): unknown {
  const cursor = writeCursor();
  cursor.mergeTree(op, (component, out) => {
    for (const key of ['r', 'p', 'i', 'd']) if (component[key] !== undefined) out.write(key, component[key]);
  });
  return cursor.get();
}

const APPLY_ERRORS: ReadonlyArray<[string, string]> = [
  ['out of bounds', 'inserts past the end of a list'],
  ['overwrite value', 'inserts where a value already is (remove it first)'],
  ['missing item', 'inserts into a parent that does not exist or is not an object'],
  ['Container is missing', 'inserts into a parent that does not exist'],
  ['numerical key', 'uses an index on an object'],
];

function applyOp(data: unknown, op: unknown, where: string): unknown {
  try {
    return json1Type.apply(data, op);
  } catch (err) {
    const message = messageOf(err);
    const known = APPLY_ERRORS.find(([fragment]) => message.includes(fragment));
    return invalid(`${where} does not apply: ${known ? known[1] : message}`);
  }
}
