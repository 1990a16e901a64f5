// json1 model: ops composed of one to three parts, each built against the document the previous ones leave:
// inserts (list indices biased to both ends), removes, replaces, moves (between any two containers, the target
// chosen in the document after the pick), number adds (`ena`) and text edits (`es`).
import { editOp, insertOp, moveOp, removeOp, replaceOp, type JSONOp } from 'ot-json1';
import { json1Type } from '@concord/shared';
import type { Draw, TypeModel } from '../property-harness.js';
import { clone, jsonProblem } from '../helpers.js';
import { edgeIndex, genJsonDoc, genValue, isObject, KEYS, nodesOf, type Path } from './json-docs.js';
import { genTextOp } from './text-unicode.js';

const apply = (doc: unknown, op: unknown): unknown => json1Type.apply(doc, op);

/** A free slot in a container: a list index (0..length) or an absent key; undefined for scalars and full objects. */
function freeSlot(draw: Draw, container: unknown): string | number | undefined {
  if (Array.isArray(container)) return edgeIndex(draw, container.length);
  if (!isObject(container)) return undefined;
  const free = KEYS.filter((k) => !(k in container));
  return free.length === 0 ? undefined : draw.pick(free);
}

function move(draw: Draw, doc: unknown, from: Path): JSONOp | undefined {
  const picked = apply(doc, removeOp(from));
  const targets = nodesOf(picked).filter(([, v]) => Array.isArray(v) || isObject(v));
  const [to, container] = draw.pick(targets);
  const slot = freeSlot(draw, container);
  return slot === undefined ? undefined : moveOp(from, [...to, slot]);
}

function genPart(draw: Draw, doc: unknown): JSONOp {
  const nodes = nodesOf(doc);
  for (;;) {
    const [path, value] = draw.pick(nodes);
    const kind = draw.pick(['insert', 'remove', 'replace', 'move', 'edit'] as const);
    if (kind === 'insert') {
      const slot = freeSlot(draw, value);
      if (slot !== undefined) return insertOp([...path, slot], genValue(draw, path.length + 1) as never);
    } else if (path.length === 0) {
      if (draw.chance(0.05)) return replaceOp([], value as never, genJsonDoc(draw) as never);
    } else if (kind === 'remove') return removeOp(path);
    else if (kind === 'replace') return replaceOp(path, clone(value) as never, genValue(draw, path.length) as never);
    else if (kind === 'move') {
      const op = move(draw, doc, path);
      if (op) return op;
    } else if (typeof value === 'number') return editOp(path, 'number', draw.int(-3, 3));
    else if (typeof value === 'string') return editOp(path, 'text-unicode', genTextOp(draw, value));
  }
}

export const json1Model: TypeModel = {
  name: 'json1',
  type: json1Type,
  genDoc: genJsonDoc,
  genOp(draw, doc) {
    let op: unknown = null;
    let current = doc;
    for (let n = draw.int(1, 3); n > 0; n--) {
      const part = genPart(draw, current);
      op = json1Type.compose!(op, part);
      current = apply(current, part);
    }
    return op;
  },
  documentProblem: (doc) => (doc === undefined ? 'no document' : jsonProblem(doc)),
};
