/**
 * Code-point arithmetic the way ot-text-unicode does it (its `unicount` helpers): every UTF-16 surrogate unit starts a
 * two-unit character. Documents and inserts hold no lone surrogates (refused on the way in), so this is exactly
 * counting Unicode code points; strings without surrogates, the common case, cost one regular-expression scan.
 */
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** Measures and walks a string in code points. */
export class CodePoints {
  private readonly simple: boolean;
  private lengthCache: number | undefined;

  constructor(readonly text: string) {
    this.simple = !ANY_SURROGATE.test(text);
  }

  /** Length in code points. */
  get length(): number {
    this.lengthCache ??= this.simple ? this.text.length : this.countFrom(0, this.text.length);
    return this.lengthCache;
  }

  /**
   * The UTF-16 offset `count` code points after the UTF-16 offset `from`; past the end of the text when it has fewer
   * (never beyond `text.length + 1`, so a huge count costs no more than the text).
   */
  advance(from: number, count: number): number {
    if (this.simple) return from + count;
    const { text } = this;
    let unit = from;
    for (let n = 0; n < count; n++) {
      if (unit >= text.length) return text.length + 1;
      const code = text.charCodeAt(unit);
      unit += code >= 0xd800 && code <= 0xdfff ? 2 : 1;
    }
    return unit;
  }

  private countFrom(from: number, to: number): number {
    let count = 0;
    for (let unit = from; unit < to; count++) {
      const code = this.text.charCodeAt(unit);
      unit += code >= 0xd800 && code <= 0xdfff ? 2 : 1;
    }
    return count;
  }
}
