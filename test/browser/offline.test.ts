/**
 * Two browser pages lose the network (a TCP proxy between them and the server resets every connection and refuses
 * new ones; Playwright's offline mode would not close open WebSockets). Both keep editing: the badges say offline
 * with edits waiting and the server's version does not move. When the network returns, both pages converge with
 * every offline edit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { TcpProxy } from '../integration/client/tcp-proxy.js';
import { docId, openDemo, screenshot, useDemo, type DemoPage } from './browser-harness.js';
import { badge, deltaText, placeCaret, quillText, serverVersion } from './page-api.js';

const demo = useDemo();
let proxy: TcpProxy | undefined;

// After the demo's own hooks: the server is up before, and the proxy closed before it stops.
beforeAll(async () => {
  proxy = await TcpProxy.start(demo().server.httpUrl);
});

afterAll(async () => {
  await proxy?.close();
});

async function converged(a: DemoPage, b: DemoPage): Promise<string> {
  return waitFor('both pages show the same text', async () => {
    const [ta, tb] = await Promise.all([quillText(a.page), quillText(b.page)]);
    return ta === tb ? ta : undefined;
  }, 15_000);
}

describe('editing through a network outage', () => {
  it('keeps edits while offline and delivers every one of them when the network returns', async () => {
    const { server, browser } = demo();
    if (!proxy) throw new Error('the proxy is not started');
    const id = docId('offline');
    const viaProxy = proxy.rewrite(server.httpUrl);
    const a = await openDemo(browser, `${viaProxy}/rich-text.html?name=Ann#${id}`);
    const b = await openDemo(browser, `${viaProxy}/rich-text.html?name=Bob#${id}`);
    await placeCaret(a.page, 0);
    await a.page.keyboard.type('Shared start.');
    await converged(a, b);
    await waitFor('acknowledged', async () => (await badge(a.page)).pending === 0);
    const before = await serverVersion(server.httpUrl, 'richtext', id);

    proxy.cut();
    await waitFor('both offline', async () =>
      (await badge(a.page)).state === 'offline' && (await badge(b.page)).state === 'offline');
    await placeCaret(a.page, 0);
    await a.page.keyboard.type('Ann offline. ');
    await placeCaret(b.page, 13);
    await b.page.keyboard.type(' Bob offline too.');
    const [badgeA, badgeB] = await Promise.all([badge(a.page), badge(b.page)]);
    expect(badgeA).toMatchObject({ state: 'offline', pending: 'Ann offline. '.length });
    expect(badgeB).toMatchObject({ state: 'offline', pending: ' Bob offline too.'.length });
    expect(badgeA.text).toBe(`offline · ${'Ann offline. '.length} edits waiting`);
    await screenshot(b.page, 'rich-text-offline');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await serverVersion(server.httpUrl, 'richtext', id)).v).toBe(before.v);

    proxy.restore();
    await waitFor('both online with nothing waiting', async () => {
      const [x, y] = await Promise.all([badge(a.page), badge(b.page)]);
      return x.state === 'online' && y.state === 'online' && x.pending === 0 && y.pending === 0;
    }, 30_000);
    const text = await converged(a, b);
    expect(text).toBe('Ann offline. Shared start. Bob offline too.\n');
    const after = await serverVersion(server.httpUrl, 'richtext', id);
    expect(deltaText(after.data)).toBe(text);
    expect(after.v).toBeGreaterThan(before.v);
    expect([...a.errors, ...b.errors].filter((e) => !e.includes('WebSocket'))).toEqual([]);
  });
});
