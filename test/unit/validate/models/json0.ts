// json0 model: ops of one to three components, each built against the document the previous ones leave: list
// insert / delete / replace / move, object insert / delete / replace, number add, string insert / delete (si / sd;
// UTF-16 offsets, so astral characters may be split), and now and then a whole-document replace. Indices are biased to both ends of their range.
import ShareDB from 'sharedb';
import type { Draw, OTLike, TypeModel } from '../property-harness.js';
import { clone, jsonProblem } from '../helpers.js';
import { edgeIndex, genJsonDoc, genText, genValue, isObject, KEYS, nodesOf, type Path } from './json-docs.js';

export const json0Type = ShareDB.types.defaultType as unknown as OTLike;

type Component = Record<string, unknown>;

function listComponent(draw: Draw, path: Path, list: unknown[]): Component {
  const n = list.length;
  const kind = n === 0 ? 'li' : draw.pick(['li', 'ld', 'lr', 'lm'] as const);
  if (kind === 'li') return { p: [...path, edgeIndex(draw, n)], li: genValue(draw, path.length + 1) };
  const i = edgeIndex(draw, n - 1);
  if (kind === 'ld') return { p: [...path, i], ld: clone(list[i]) };
  if (kind === 'lr') return { p: [...path, i], ld: clone(list[i]), li: genValue(draw, path.length + 1) };
  return { p: [...path, i], lm: edgeIndex(draw, n - 1) };
}

function objectComponent(draw: Draw, path: Path, object: Record<string, unknown>): Component {
  const key = draw.pick(KEYS);
  if (!(key in object)) return { p: [...path, key], oi: genValue(draw, path.length + 1) };
  return draw.chance(0.5)
    ? { p: [...path, key], od: clone(object[key]) }
    : { p: [...path, key], od: clone(object[key]), oi: genValue(draw, path.length + 1) };
}

function stringComponent(draw: Draw, path: Path, text: string): Component {
  const at = edgeIndex(draw, text.length);
  const removable = text.length - at;
  if (removable > 0 && draw.chance(0.4)) {
    return { p: [...path, at], sd: text.slice(at, at + draw.int(1, removable)) };
  }
  return { p: [...path, at], si: genText(draw, 1, 3) };
}

function genComponent(draw: Draw, doc: unknown): Component {
  if (draw.chance(0.03)) return { p: [], od: clone(doc), oi: genJsonDoc(draw) };
  const nodes = nodesOf(doc);
  for (;;) {
    const [path, value] = draw.pick(nodes);
    if (Array.isArray(value)) return listComponent(draw, path, value);
    if (isObject(value)) return objectComponent(draw, path, value);
    if (typeof value === 'number' && path.length > 0) return { p: path, na: draw.int(-3, 3) };
    if (typeof value === 'string' && path.length > 0) return stringComponent(draw, path, value);
  }
}

export const json0Model: TypeModel = {
  name: 'json0',
  type: json0Type,
  genDoc: genJsonDoc,
  genOp(draw, doc) {
    const op: Component[] = [];
    let current = clone(doc);
    for (let n = draw.int(1, 3); n > 0; n--) {
      const component = genComponent(draw, current);
      op.push(component);
      current = json0Type.apply(current, [clone(component)]);
    }
    return op;
  },
  documentProblem: (doc) => (doc === undefined ? 'no document' : jsonProblem(doc)),
};
