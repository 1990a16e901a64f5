/**
 * Splits a text-unicode op or a rich-text delta into ops applied one after the other, each of at most `budget` bytes
 * of JSON, which together do what the op does. Recovery merges every offline edit into one op; sent whole, an op over
 * the server's message limit would be refused and every one of those edits lost.
 *
 * Both walk the op's components, keeping the position reached in the document as each piece leaves it (the pieces
 * before are applied by then): a piece starts with a skip (text-unicode) or retain (rich-text) to that position.
 * Inserted and deleted text is cut between code points; a single embed larger than the budget is left whole. Each
 * piece is normalized (adjacent inserts joined), as the server requires.
 */
import type { TextOp } from 'ot-text-unicode';
import { Delta, type DeltaOp } from '../undo/delta.js';
import { textType } from '../text/text-type.js';

/** JSON bytes of a value (UTF-8). */
function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

/** Pieces of `text` of at most `units` UTF-16 units each, never splitting a surrogate pair. */
function cut(text: string, units: number): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length;) {
    let end = Math.min(text.length, start + Math.max(2, units));
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** A JSON string takes at most 6 bytes per UTF-16 unit (`\u001f`); some room is left for the op around it. */
const unitsFor = (budget: number): number => Math.max(2, Math.floor((budget - 64) / 6));

/** Collects pieces of one op up to the budget; `skip(n)` makes the component that moves to a position. */
class Pieces<C> {
  readonly ops: C[][] = [];
  private current: C[] = [];
  private bytes = 2;
  /** Where the document has been reached, and where the current piece's cursor is. */
  private position = 0;
  private cursor = 0;

  constructor(private readonly budget: number, private readonly skip: (n: number) => C) {}

  /** Moves over `n` units nobody changes. */
  advance(n: number): void {
    this.position += n;
  }

  /** Adds a component that leaves the cursor `moves` units further on. */
  add(component: C, moves: number): void {
    const size = jsonBytes(component) + 1;
    if (this.current.length > 0 && this.bytes + size + 24 > this.budget) this.close();
    if (this.position > this.cursor) this.push(this.skip(this.position - this.cursor), 0);
    this.push(component, size);
    this.position += moves;
    this.cursor = this.position;
  }

  finish(): C[][] {
    this.close();
    return this.ops;
  }

  private push(component: C, size: number): void {
    this.current.push(component);
    this.bytes += size || jsonBytes(component) + 1;
  }

  private close(): void {
    if (this.current.length > 0) this.ops.push(this.current);
    this.current = [];
    this.bytes = 2;
    this.cursor = 0;
  }
}

/** A text-unicode op as pieces of at most `budget` bytes each (see the module comment). */
export function splitTextOp(op: TextOp, budget: number): TextOp[] {
  const pieces = new Pieces<TextOp[number]>(budget, (n) => n);
  const units = unitsFor(budget);
  for (const component of op) {
    if (typeof component === 'number') pieces.advance(component);
    else if (typeof component === 'string') {
      for (const text of cut(component, units)) pieces.add(text, [...text].length);
    } else if (typeof component.d === 'string') {
      for (const text of cut(component.d, units)) pieces.add({ d: text }, 0);
    } else pieces.add(component, 0);
  }
  return pieces.finish().map((piece) => textType.normalize(piece));
}

/** A rich-text delta's ops as pieces of at most `budget` bytes each (see the module comment). */
export function splitDelta(ops: readonly DeltaOp[], budget: number): DeltaOp[][] {
  const pieces = new Pieces<DeltaOp>(budget, (n) => ({ retain: n }));
  for (const component of ops) {
    const { insert, retain, attributes } = component;
    const units = unitsFor(budget - (attributes ? jsonBytes(attributes) : 0));
    if (typeof retain === 'number' && !attributes) pieces.advance(retain);
    else if (typeof insert === 'string') {
      for (const text of cut(insert, units)) pieces.add(attributes ? { insert: text, attributes } : { insert: text }, text.length);
    } else if (insert !== undefined) pieces.add(component, 1);
    else if (retain !== undefined) pieces.add(component, typeof retain === 'number' ? retain : 1);
    else pieces.add(component, 0);
  }
  return pieces.finish().map((piece) => piece.reduce((delta, op) => delta.push(op), new Delta()).ops);
}
