/**
 * text-unicode counts positions in Unicode code points; the DOM (`selectionStart`, `value.length`) counts UTF-16
 * code units, where characters outside the Basic Multilingual Plane (emoji, many CJK extensions) take two. These
 * convert between the two; an offset that falls inside a surrogate pair is moved to the pair's end.
 */

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** True when UTF-16 offset `index` would split a surrogate pair of `text`. */
export function splitsPair(text: string, index: number): boolean {
  return index > 0 && index < text.length && isHighSurrogate(text.charCodeAt(index - 1)) &&
    isLowSurrogate(text.charCodeAt(index));
}

/** Code points before UTF-16 offset `utf16` (clamped to the text). */
export function toCodePoints(text: string, utf16: number): number {
  const end = Math.max(0, Math.min(text.length, utf16 + (splitsPair(text, utf16) ? 1 : 0)));
  let count = 0;
  for (let i = 0; i < end; i++) {
    count++;
    if (isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1))) i++;
  }
  return count;
}

/** The UTF-16 offset of code point `codePoints` (clamped to the text). */
export function toUtf16(text: string, codePoints: number): number {
  let i = 0;
  for (let n = 0; n < codePoints && i < text.length; n++) {
    i += isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
  }
  return i;
}

/** Length of `text` in code points. */
export function codePointLength(text: string): number {
  return toCodePoints(text, text.length);
}
