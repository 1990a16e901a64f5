/**
 * Reading and driving the demo pages' live objects from tests (`window.concordDemo`, set by the demo pages).
 * The functions passed to `page.evaluate` run in the browser.
 */
/// <reference lib="dom" />
import type { Page } from 'playwright-core';

interface QuillLike {
  getText(): string;
  getSelection(): { index: number; length: number } | null;
  setSelection(index: number, length: number): void;
  getBounds(index: number): { left: number; top: number; height: number } | null;
  root: HTMLElement;
}

export function quillText(page: Page): Promise<string> {
  return page.evaluate(() => (window.concordDemo?.quill as QuillLike).getText());
}

export function quillSelection(page: Page): Promise<{ index: number; length: number } | null> {
  return page.evaluate(() => (window.concordDemo?.quill as QuillLike).getSelection());
}

/** Puts the caret at `index` of the Quill editor (focusing it). */
export async function placeCaret(page: Page, index: number): Promise<void> {
  await page.evaluate((i) => {
    const quill = window.concordDemo?.quill as QuillLike;
    quill.root.focus();
    quill.setSelection(i, 0);
  }, index);
}

/** Viewport position where the Quill editor of `page` draws a caret at `index`. */
export function caretPoint(page: Page, index: number): Promise<{ x: number; y: number }> {
  return page.evaluate((i) => {
    const quill = window.concordDemo?.quill as QuillLike;
    const bounds = quill.getBounds(i);
    const box = quill.root.parentElement?.getBoundingClientRect();
    return { x: (box?.left ?? 0) + (bounds?.left ?? 0), y: (box?.top ?? 0) + (bounds?.top ?? 0) };
  }, index);
}

export interface StatusBadge {
  state: string;
  pending: number;
  text: string;
}

export function badge(page: Page): Promise<StatusBadge> {
  return page.evaluate(() => {
    const el = document.querySelector<HTMLElement>('#status');
    return { state: el?.dataset.state ?? '', pending: Number(el?.dataset.pending ?? 0), text: el?.textContent ?? '' };
  });
}

export function people(page: Page): Promise<string[]> {
  return page.evaluate(() => Array.from(document.querySelectorAll('#people .person'), (el) => el.textContent ?? ''));
}

export interface Shape {
  kind: string;
  x: number;
  y: number;
  w: number;
  h: number;
  color: string;
  z: number;
}

export function shapes(page: Page): Promise<Record<string, Shape>> {
  return page.evaluate(() => ((window.concordDemo?.store as { data: { shapes: Record<string, Shape> } }).data.shapes));
}

/** The current document version as the server has it, over the REST API. */
export async function serverVersion(httpUrl: string, collection: string, id: string): Promise<{ v: number; data: unknown }> {
  const response = await fetch(`${httpUrl}/api/docs/${collection}/${id}`);
  if (!response.ok) throw new Error(`GET ${collection}/${id}: ${response.status}`);
  return (await response.json()) as { v: number; data: unknown };
}

/** Plain text of a rich-text document as the server has it. */
export function deltaText(data: unknown): string {
  const ops = Array.isArray(data) ? data : (data as { ops?: unknown[] } | null)?.ops ?? [];
  return ops.map((op) => (typeof (op as { insert?: unknown }).insert === 'string' ? (op as { insert: string }).insert : '')).join('');
}
