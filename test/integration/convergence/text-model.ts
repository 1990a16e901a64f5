/**
 * A text as the text generators see it: code points, which of them belong to a marker, and their UTF-16 offsets.
 * Positions are chosen on code-point boundaries (as an editor would), never inside a marker; deletes avoid markers.
 */
import type { Rng } from './random.js';

const MARKER = /<c\d+:\d+>/g;

/** Filler never contains `<`, `>`, `:` or digits, so no edit can forge or complete a marker. */
const PIECES = [
  'a', 'b', 'c', 'x', 'y', 'z', 'lorem', 'ipsum', ' ', ' ', 'é', 'ß', '中文', 'Ω',
  '😀', '𝄞', '👩‍👩‍👧', '🇫🇷', '🙂x', '\n',
];

export function filler(rng: Rng, maxPieces = 3): string {
  let out = '';
  for (let i = rng.int(1, maxPieces); i > 0; i--) out += rng.pick(PIECES);
  return out;
}

export class TextView {
  readonly text: string;
  readonly codePoints: string[];
  /** Marker ordinal of each code point, -1 outside markers. */
  private readonly owner: number[];
  /** UTF-16 offset of each code point, plus the text's length at the end. */
  private readonly offsets: number[];

  constructor(text: string) {
    this.text = text;
    this.codePoints = [...text];
    this.offsets = [];
    let offset = 0;
    for (const cp of this.codePoints) {
      this.offsets.push(offset);
      offset += cp.length;
    }
    this.offsets.push(offset);
    const cpAt = new Map(this.offsets.map((o, i) => [o, i]));
    this.owner = this.codePoints.map(() => -1);
    let ordinal = 0;
    for (const match of text.matchAll(MARKER)) {
      const start = cpAt.get(match.index) ?? -1;
      for (let i = 0; i < match[0].length; i++) this.owner[start + i] = ordinal;
      ordinal++;
    }
  }

  get length(): number {
    return this.codePoints.length;
  }

  utf16(codePoint: number): number {
    return this.offsets[codePoint] ?? this.text.length;
  }

  /** The code points [start, end) as a string. */
  slice(start: number, end: number): string {
    return this.codePoints.slice(start, end).join('');
  }

  /** An insert position outside markers; often 0 or the end, so that clients collide on the same spot. */
  insertPoint(rng: Rng): number {
    const n = this.length;
    if (rng.chance(0.25)) return 0;
    if (rng.chance(0.1)) return n;
    for (;;) {
      const p = rng.int(0, n);
      const inside = p > 0 && p < n && this.owner[p - 1] !== -1 && this.owner[p - 1] === this.owner[p];
      if (!inside) return p;
    }
  }

  /** A non-empty range [start, end) of at most `maxLen` code points containing no marker, if there is one. */
  deletableRange(rng: Rng, maxLen: number): [number, number] | undefined {
    const free: number[] = [];
    this.owner.forEach((o, i) => o === -1 && free.push(i));
    if (free.length === 0) return undefined;
    const start = rng.pick(free);
    let end = start + 1;
    const want = rng.int(1, maxLen);
    while (end < this.length && end - start < want && this.owner[end] === -1) end++;
    return [start, end];
  }

  /** Any non-empty range [start, end) of at most `maxLen` code points (markers included), if the text is not empty. */
  anyRange(rng: Rng, maxLen: number): [number, number] | undefined {
    if (this.length === 0) return undefined;
    const start = rng.int(0, this.length - 1);
    return [start, Math.min(this.length, start + rng.int(1, maxLen))];
  }
}

export function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) count++;
  return count;
}

/** True when the text has no lone surrogate (no astral character was split by an edit). */
export function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}
