/**
 * The whiteboard's SVG view: draws shapes, this user's selection, and other people's pointers and selections, and
 * turns pointer gestures into calls on its handlers. Names are SVG text set with `textContent`.
 */
import type { BoardPresence } from '@concord/shared';
import { colorFor, displayName, participantKey, type Remote } from '../index.js';

export interface Shape {
  kind: 'rect' | 'ellipse';
  x: number;
  y: number;
  w: number;
  h: number;
  color: string;
  /** Stacking order: higher is drawn on top. */
  z: number;
}

export interface Board {
  shapes: Record<string, Shape>;
}

export interface BoardHandlers {
  select(id: string | null): void;
  dragStart(id: string): void;
  drag(id: string, x: number, y: number): void;
  dragEnd(id: string): void;
  pointer(point: { x: number; y: number } | null): void;
}

const SVG = 'http://www.w3.org/2000/svg';

export class BoardView {
  private readonly svg: SVGSVGElement;
  private readonly handlers: BoardHandlers;
  private dragging: { id: string; dx: number; dy: number } | undefined;
  private board: Board | undefined;

  constructor(svg: SVGSVGElement, handlers: BoardHandlers) {
    this.svg = svg;
    this.handlers = handlers;
    svg.addEventListener('pointerdown', this.onDown);
    svg.addEventListener('pointermove', this.onMove);
    svg.addEventListener('pointerup', this.onUp);
    svg.addEventListener('pointerleave', this.onLeave);
  }

  destroy(): void {
    this.svg.removeEventListener('pointerdown', this.onDown);
    this.svg.removeEventListener('pointermove', this.onMove);
    this.svg.removeEventListener('pointerup', this.onUp);
    this.svg.removeEventListener('pointerleave', this.onLeave);
  }

  render(board: Board | undefined, selected: string | null, others: ReadonlyMap<string, Remote<BoardPresence>>): void {
    this.board = board;
    const shapes = Object.entries(board?.shapes ?? {}).sort(([, a], [, b]) => a.z - b.z);
    const outlines = remoteSelections(others);
    const nodes: SVGElement[] = shapes.map(([id, shape]) => this.shape(id, shape, id === selected, outlines.get(id)));
    for (const [id, presence] of others) if (presence.pointer) nodes.push(this.pointer(id, presence));
    this.svg.replaceChildren(...nodes);
  }

  private shape(id: string, shape: Shape, mine: boolean, remoteColor: string | undefined): SVGElement {
    const el = document.createElementNS(SVG, shape.kind === 'ellipse' ? 'ellipse' : 'rect');
    if (shape.kind === 'ellipse') {
      attrs(el, { cx: shape.x + shape.w / 2, cy: shape.y + shape.h / 2, rx: shape.w / 2, ry: shape.h / 2 });
    } else {
      attrs(el, { x: shape.x, y: shape.y, width: shape.w, height: shape.h, rx: 6 });
    }
    attrs(el, { fill: shape.color, 'data-id': id, class: 'shape' });
    const stroke = mine ? '#111' : remoteColor;
    if (stroke) attrs(el, { stroke, 'stroke-width': 3, 'stroke-dasharray': mine ? '6 4' : '' });
    return el;
  }

  private pointer(id: string, presence: Remote<BoardPresence>): SVGElement {
    const point = presence.pointer ?? { x: 0, y: 0 };
    const color = colorFor(participantKey(id, presence));
    const group = document.createElementNS(SVG, 'g');
    attrs(group, { class: 'remote-pointer', transform: `translate(${point.x} ${point.y})`, 'pointer-events': 'none' });
    const arrow = document.createElementNS(SVG, 'path');
    attrs(arrow, { d: 'M0 0 L0 16 L4 12 L8 20 L11 19 L7 11 L13 11 Z', fill: color, stroke: '#fff', 'stroke-width': 1 });
    const label = document.createElementNS(SVG, 'text');
    attrs(label, { x: 14, y: 26, fill: color, 'font-size': 12, 'font-family': 'sans-serif', class: 'pointer-name' });
    label.textContent = displayName(presence);
    group.append(arrow, label);
    return group;
  }

  private readonly onDown = (event: PointerEvent): void => {
    const id = (event.target as Element).getAttribute('data-id');
    // Read the shape before selecting: selecting redraws the board.
    const shape = id ? this.board?.shapes[id] : undefined;
    this.handlers.select(id);
    if (!id || !shape) return;
    const p = this.point(event);
    this.dragging = { id, dx: p.x - shape.x, dy: p.y - shape.y };
    this.handlers.dragStart(id);
    this.svg.setPointerCapture(event.pointerId);
  };

  private readonly onMove = (event: PointerEvent): void => {
    const p = this.point(event);
    this.handlers.pointer(p);
    if (this.dragging) this.handlers.drag(this.dragging.id, Math.round(p.x - this.dragging.dx), Math.round(p.y - this.dragging.dy));
  };

  private readonly onUp = (event: PointerEvent): void => {
    if (!this.dragging) return;
    this.handlers.dragEnd(this.dragging.id);
    this.dragging = undefined;
    this.svg.releasePointerCapture(event.pointerId);
  };

  private readonly onLeave = (): void => this.handlers.pointer(null);

  private point(event: PointerEvent): { x: number; y: number } {
    const rect = this.svg.getBoundingClientRect();
    return { x: Math.round(event.clientX - rect.left), y: Math.round(event.clientY - rect.top) };
  }
}

function remoteSelections(others: ReadonlyMap<string, Remote<BoardPresence>>): Map<string, string> {
  const outlines = new Map<string, string>();
  for (const [id, presence] of others) {
    for (const shapeId of presence.selection ?? []) outlines.set(shapeId, colorFor(participantKey(id, presence)));
  }
  return outlines;
}

function attrs(el: Element, values: Record<string, string | number>): void {
  for (const [key, value] of Object.entries(values)) el.setAttribute(key, String(value));
}
