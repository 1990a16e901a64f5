/**
 * The whiteboard demo in two real browser pages: a shape created and dragged in one moves in the other, pointers
 * are shown, and undo reverts one's own move while keeping the other user's recolouring.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { waitFor } from '../helpers/wait-for.js';
import { docId, openDemo, screenshot, useDemo, type DemoPage } from './browser-harness.js';
import { shapes, type Shape } from './page-api.js';

const demo = useDemo();

async function pair(prefix: string): Promise<[DemoPage, DemoPage]> {
  const { server, browser } = demo();
  const id = docId(prefix);
  const url = (name: string): string => `${server.httpUrl}/whiteboard.html?name=${name}#${id}`;
  const a = await openDemo(browser, url('Ann'));
  const b = await openDemo(browser, url('Bob'));
  return [a, b];
}

async function onlyShape(page: Page): Promise<[string, Shape]> {
  return waitFor('one shape', async () => Object.entries(await shapes(page))[0]);
}

/**
 * Drags the shape `id` of `page` by (dx, dy) with the mouse, in steps; with `holdMs`, holds the pointer still halfway
 * for that long, as a hesitating user does.
 */
async function drag(page: Page, id: string, dx: number, dy: number, holdMs = 0): Promise<void> {
  const box = await page.locator(`[data-id="${id}"]`).boundingBox();
  if (!box) throw new Error('shape not drawn');
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  if (holdMs > 0) {
    await page.mouse.move(x + dx / 2, y + dy / 2, { steps: 6 });
    await page.waitForTimeout(holdMs);
  }
  await page.mouse.move(x + dx, y + dy, { steps: 12 });
  await page.mouse.up();
}

describe('whiteboard demo in the browser', () => {
  it('a shape moved in one page moves in the other, with the mover’s pointer shown', async () => {
    const [a, b] = await pair('wb-move');
    await a.page.click('#add-rect');
    const [id, before] = await onlyShape(b.page);
    await drag(a.page, id, 150, 90);
    const moved = await waitFor('moved in B', async () => {
      const s = (await shapes(b.page))[id];
      return s && s.x === before.x + 150 && s.y === before.y + 90 ? s : undefined;
    });
    expect((await shapes(a.page))[id]).toEqual(moved);
    // Bob's page draws the rectangle at the new place and Ann's pointer with her name.
    const drawn = b.page.locator(`rect[data-id="${id}"]`);
    await waitFor('drawn at the new x', async () => (await drawn.getAttribute('x')) === String(moved.x));
    await b.page.locator('.remote-pointer .pointer-name', { hasText: 'Ann' }).waitFor({ timeout: 5000 });
    await a.page.click('#add-ellipse');
    await waitFor('two shapes at Bob', async () => Object.keys(await shapes(b.page)).length === 2);
    await a.page.mouse.move(700, 300, { steps: 5 });
    await b.page.waitForTimeout(300);
    await screenshot(b.page, 'whiteboard');
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('A moves a shape, B recolours it, A undoes: the position reverts and the colour stays', async () => {
    const [a, b] = await pair('wb-undo');
    await a.page.click('#add-rect');
    const [id, start] = await onlyShape(b.page);
    await a.page.keyboard.press('Escape');
    // Held still for longer than the undo capture time (500 ms): still one drag, so still one undo step.
    await drag(a.page, id, 200, 60, 800);
    await waitFor('moved in B', async () => (await shapes(b.page))[id]?.x === start.x + 200);
    await b.page.click(`[data-id="${id}"]`);
    await b.page.locator('#color').fill('#ff0000');
    await waitFor('recoloured in A', async () => (await shapes(a.page))[id]?.color === '#ff0000');
    await a.page.keyboard.press('Control+z');
    const expected = { ...start, color: '#ff0000' };
    await waitFor('undone in both', async () => {
      const [sa, sb] = await Promise.all([shapes(a.page), shapes(b.page)]);
      return JSON.stringify(sa[id]) === JSON.stringify(sb[id]) && sb[id]?.x === start.x;
    });
    expect((await shapes(b.page))[id]).toMatchObject(expected);
    // The next undo removes the shape Ann created; Bob's colour change goes with it, nothing is resurrected later.
    await a.page.keyboard.press('Control+z');
    await waitFor('shape gone in B', async () => Object.keys(await shapes(b.page)).length === 0);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });
});
