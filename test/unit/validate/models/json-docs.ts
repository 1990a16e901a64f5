// Random JSON documents for the json0 / json1 models: a root object of a few keys, lists and objects three deep,
// strings with astral characters, integers and fractions, booleans and null.
import type { Draw } from '../property-harness.js';

export const KEYS = ['a', 'b', 'c', 'd'] as const;
const CHARS = ['a', 'b', 'é', ' ', '😀'];

export type Path = Array<string | number>;

export function genText(draw: Draw, min: number, max: number): string {
  let text = '';
  for (let n = draw.int(min, max); n > 0; n--) text += draw.pick(CHARS);
  return text;
}

export function genValue(draw: Draw, depth: number): unknown {
  const roll = draw.int(0, 9);
  if (depth >= 3 || roll < 5) {
    switch (draw.int(0, 5)) {
      case 0: return draw.int(-5, 5);
      case 1: return draw.int(-20, 20) / 4;
      case 2: return genText(draw, 0, 4);
      case 3: return draw.chance(0.5);
      case 4: return null;
      default: return genText(draw, 1, 3);
    }
  }
  if (roll < 8) return Array.from({ length: draw.int(0, 4) }, () => genValue(draw, depth + 1));
  return genObject(draw, depth);
}

function genObject(draw: Draw, depth: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const key of KEYS) if (draw.chance(0.5)) object[key] = genValue(draw, depth + 1);
  return object;
}

export function genJsonDoc(draw: Draw): Record<string, unknown> {
  return genObject(draw, 0);
}

/** Every node of a document with its path, the root first. */
export function nodesOf(value: unknown, path: Path = [], out: Array<[Path, unknown]> = []): Array<[Path, unknown]> {
  out.push([path, value]);
  if (Array.isArray(value)) value.forEach((child, i) => nodesOf(child, [...path, i], out));
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) nodesOf(child, [...path, key], out);
  }
  return out;
}

/** An index in 0..max, biased to both ends (where off-by-one mistakes live). */
export function edgeIndex(draw: Draw, max: number): number {
  return draw.pick([0, max, draw.int(0, max)]);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
