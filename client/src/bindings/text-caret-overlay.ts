/**
 * Draws other users' carets over a textarea or input. A field cannot style parts of its text, so a hidden mirror
 * element with the field's text metrics measures where a code-point offset lands, and a transparent overlay on top
 * of the field holds one coloured bar and name label per remote caret. Names are set with `textContent`.
 */
import type { TextPresence } from '@concord/shared';
import { colorFor, displayName, participantKey } from '../presence/identity.js';
import type { Remote } from '../presence/presence-channel.js';
import { toUtf16 } from '../text/code-points.js';

const MIRRORED = [
  'boxSizing', 'width', 'height', 'paddingTop', 'paddingRight', 'paddingBottom', 'paddingLeft', 'borderTopWidth',
  'borderRightWidth', 'borderBottomWidth', 'borderLeftWidth', 'borderStyle', 'fontFamily', 'fontSize', 'fontWeight',
  'fontStyle', 'letterSpacing', 'lineHeight', 'textTransform', 'wordSpacing', 'textIndent', 'tabSize',
] as const;

export class TextCaretOverlay {
  private readonly field: HTMLTextAreaElement | HTMLInputElement;
  private readonly layer: HTMLDivElement;
  private readonly mirror: HTMLDivElement;

  constructor(field: HTMLTextAreaElement | HTMLInputElement) {
    this.field = field;
    const doc = field.ownerDocument;
    this.layer = doc.createElement('div');
    this.layer.className = 'concord-carets';
    Object.assign(this.layer.style, { position: 'absolute', pointerEvents: 'none', overflow: 'hidden' });
    this.mirror = doc.createElement('div');
    Object.assign(this.mirror.style, { position: 'absolute', visibility: 'hidden', top: '0', left: '-9999px' });
    field.insertAdjacentElement('afterend', this.layer);
    doc.body.appendChild(this.mirror);
  }

  /** Redraws every remote caret for the field's current `text`. */
  render(text: string, carets: ReadonlyMap<string, Remote<TextPresence>>): void {
    this.placeLayer();
    this.layer.replaceChildren();
    for (const [id, presence] of carets) {
      if (typeof presence.index !== 'number') continue;
      const point = this.measure(text, toUtf16(text, presence.index));
      this.layer.appendChild(this.caret(point, displayName(presence), colorFor(participantKey(id, presence))));
    }
  }

  destroy(): void {
    this.layer.remove();
    this.mirror.remove();
  }

  private placeLayer(): void {
    const { field, layer } = this;
    Object.assign(layer.style, {
      left: `${field.offsetLeft}px`, top: `${field.offsetTop}px`,
      width: `${field.offsetWidth}px`, height: `${field.offsetHeight}px`,
    });
  }

  /** The caret position for UTF-16 offset `offset`, relative to the field's border box, scrolling included. */
  private measure(text: string, offset: number): { x: number; y: number; height: number } {
    const { field, mirror } = this;
    const style = field.ownerDocument.defaultView?.getComputedStyle(field);
    if (style) for (const prop of MIRRORED) mirror.style[prop] = style[prop];
    const isInput = field instanceof HTMLInputElement;
    mirror.style.whiteSpace = isInput ? 'pre' : 'pre-wrap';
    mirror.style.overflowWrap = 'break-word';
    mirror.textContent = text.slice(0, offset);
    const marker = field.ownerDocument.createElement('span');
    marker.textContent = text.slice(offset) || '.';
    mirror.appendChild(marker);
    const lineHeight = parseFloat(style?.lineHeight ?? '') || parseFloat(style?.fontSize ?? '16') * 1.2;
    return { x: marker.offsetLeft - field.scrollLeft, y: marker.offsetTop - field.scrollTop, height: lineHeight };
  }

  private caret(point: { x: number; y: number; height: number }, name: string, color: string): HTMLElement {
    const doc = this.field.ownerDocument;
    const caret = doc.createElement('div');
    caret.className = 'concord-caret';
    Object.assign(caret.style, {
      position: 'absolute', left: `${point.x}px`, top: `${point.y}px`, width: '2px', height: `${point.height}px`,
      background: color,
    });
    const label = doc.createElement('div');
    label.className = 'concord-caret-name';
    label.textContent = name;
    Object.assign(label.style, {
      // Above the caret, or below it on the first line where above would be cut off.
      position: 'absolute', left: '0', background: color, color: '#fff', font: '11px sans-serif',
      ...(point.y < 16 ? { top: '100%' } : { bottom: '100%' }),
      padding: '1px 4px', borderRadius: '3px', whiteSpace: 'nowrap',
    });
    caret.appendChild(label);
    return caret;
  }
}
