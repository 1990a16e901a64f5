/**
 * The demo pages as users meet them: the index links to every demo, the plain-text pad keeps carets in place around
 * emoji and shows other people's carets, and user names (server-stamped from tokens, or chosen with `?name=`) are
 * shown as text, never run as HTML. Screenshots of every page go to artifacts/screenshots/.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ChildServer } from '../helpers/child-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { signTestToken, TEST_SECRET } from '../integration/client/jwt.js';
import { closePages, docId, launchBrowser, openDemo, screenshot, startDemoServer, stopServer, SETUP_TIMEOUT_MS, type DemoPage } from './browser-harness.js';
import { people, placeCaret, quillText } from './page-api.js';

const XSS = '<img src=x onerror=window.__xss=1>';

let server: ChildServer | undefined;
let authServer: ChildServer | undefined;
let browser: Browser | undefined;
let configDir: string | undefined;

beforeAll(async () => {
  // With auth on, the standalone server denies what no rule allows: let every signed-in user use the demos.
  configDir = await mkdtemp(join(tmpdir(), 'concord-browser-'));
  const configFile = join(configDir, 'config.json');
  const everyone = ['*'];
  await writeFile(configFile, JSON.stringify({
    collections: { '*': { read: everyone, create: everyone, write: everyone, presence: everyone } },
  }));
  [server, authServer, browser] = await Promise.all([
    startDemoServer(),
    startDemoServer({ AUTH_JWT_SECRET: TEST_SECRET, CONFIG_FILE: configFile }),
    launchBrowser(),
  ]);
}, SETUP_TIMEOUT_MS);

afterEach(closePages);

afterAll(async () => {
  await browser?.close();
  await Promise.all([stopServer(server), stopServer(authServer)]);
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

function padValue(page: Page): Promise<{ value: string; start: number; end: number }> {
  return page.evaluate(() => {
    const pad = document.querySelector<HTMLTextAreaElement>('#pad');
    return { value: pad?.value ?? '', start: pad?.selectionStart ?? -1, end: pad?.selectionEnd ?? -1 };
  });
}

/** Ann's and Bob's pad pages on one new document. */
async function annAndBobOnOnePad(name: string): Promise<[DemoPage, DemoPage]> {
  if (!server || !browser) throw new Error('not started');
  const id = docId(name);
  const a = await openDemo(browser, `${server.httpUrl}/pad.html?name=Ann#${id}`);
  return [a, await openDemo(browser, `${server.httpUrl}/pad.html?name=Bob#${id}`)];
}

/** Ann and Bob type into their pads at once; the pads end equal and hold every key either typed. */
async function expectBothKeepEveryKey(a: DemoPage, b: DemoPage): Promise<void> {
  await Promise.all([a.page.click('#pad'), b.page.click('#pad')]);
  const typedA = 'Ann keeps every key. ';
  const typedB = 'Bob types at once. ';
  await Promise.all([a.page.keyboard.type(typedA, { delay: 12 }), b.page.keyboard.type(typedB, { delay: 12 })]);
  const text = await waitFor('both pads show the same text', async () => {
    const [x, y] = await Promise.all([padValue(a.page), padValue(b.page)]);
    return x.value === y.value ? x.value : undefined;
  }, 15_000);
  const sorted = (value: string): string => [...value].sort().join('');
  expect(sorted(text)).toBe(sorted(`${typedA}${typedB}`));
}

async function expectNoXss(pages: DemoPage[]): Promise<void> {
  for (const { page } of pages) {
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
    expect(await page.locator('#people img, .ql-cursor-name img, #me img').count()).toBe(0);
  }
}

describe('demo pages', () => {
  it('the index links to every demo', async () => {
    if (!server || !browser) throw new Error('not started');
    const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
    const page = await context.newPage();
    await page.goto(`${server.httpUrl}/`);
    const links = await page.locator('a.card').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual(['rich-text.html', 'whiteboard.html', 'pad.html']);
    await screenshot(page, 'index');
    await page.click('a.card[href="pad.html"]');
    await page.waitForFunction(() => window.concordDemo?.ready === true);
    // Without `#id` the page made one up and wrote it into the URL, so the link can be shared.
    expect(new URL(page.url()).hash).toMatch(/^#doc-[a-z0-9]+$/);
    await context.close();
  });

  it('the pad keeps a caret in place when someone inserts emoji before it, and shows their caret', async () => {
    if (!server || !browser) throw new Error('not started');
    const id = docId('pad');
    const a = await openDemo(browser, `${server.httpUrl}/pad.html?name=Ann#${id}`);
    const b = await openDemo(browser, `${server.httpUrl}/pad.html?name=Bob#${id}`);
    await a.page.click('#pad');
    await a.page.keyboard.type('Grüße 😀 from the pad');
    await waitFor('text at Bob', async () => (await padValue(b.page)).value === 'Grüße 😀 from the pad');
    // Bob selects "from"; Ann then types emoji at the very start.
    await b.page.evaluate(() => {
      const pad = document.querySelector<HTMLTextAreaElement>('#pad');
      pad?.focus();
      pad?.setSelectionRange(9, 13);
    });
    await a.page.keyboard.press('Control+Home');
    await a.page.keyboard.type('🎉🎉 ');
    const after = await waitFor('emoji at Bob', async () => {
      const v = await padValue(b.page);
      return v.value.startsWith('🎉🎉 ') ? v : undefined;
    });
    expect(after.value.slice(after.start, after.end)).toBe('from');
    await b.page.locator('.concord-caret-name', { hasText: 'Ann' }).waitFor({ timeout: 5000 });
    await screenshot(b.page, 'pad');
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('the pad loses none of its user’s unacknowledged typing when a remote op fails in the field', async () => {
    const [a, b] = await annAndBobOnOnePad('pad-fails');
    // Only a remote op moves the selection by script: make that throw in Ann's page (ShareDB would answer the
    // exception with a hard rollback, throwing away what she typed and had not had acknowledged).
    await a.page.evaluate(() => {
      const pad = document.querySelector<HTMLTextAreaElement>('#pad');
      if (pad) pad.setSelectionRange = () => {
        throw new Error('selection update failed');
      };
    });
    await expectBothKeepEveryKey(a, b);
    expect(a.warnings.some((w) => w.includes('selection update failed'))).toBe(true);
  });

  it('the pad loses none of its user’s typing when the page’s own doc listener throws on remote ops', async () => {
    const [a, b] = await annAndBobOnOnePad('pad-listener');
    // A listener of the page's own, as an application adds them: the client reports its exception instead of
    // letting ShareDB roll Ann's document back.
    await a.page.evaluate(() => {
      const doc = (window.concordDemo as { doc?: { on(event: string, fn: (op: unknown, source: unknown) => void): void } }).doc;
      doc?.on('op', (_op, source) => {
        if (!source) throw new Error('page listener failed');
      });
    });
    await expectBothKeepEveryKey(a, b);
    expect(a.warnings.some((w) => w.includes('page listener failed'))).toBe(true);
  });

  it('the pad holds a remote edit while its user composes with an IME: no reading is left beside the conversion', async () => {
    // Setting a field's value ends an IME composition: the reading typed so far stayed in the text, and the
    // conversion the user then picked was added beside it ('aにほ日本bcY').
    const [a, b] = await annAndBobOnOnePad('pad-ime');
    await a.page.focus('#pad');
    await a.page.keyboard.insertText('abc');
    await waitFor('text at Bob', async () => (await padValue(b.page)).value === 'abc');
    await a.page.evaluate(() => document.querySelector<HTMLTextAreaElement>('#pad')?.setSelectionRange(1, 1));
    const ime = await a.context.newCDPSession(a.page);
    await ime.send('Input.imeSetComposition', { text: 'に', selectionStart: 1, selectionEnd: 1 });
    await ime.send('Input.imeSetComposition', { text: 'にほ', selectionStart: 2, selectionEnd: 2 });
    await b.page.focus('#pad');
    await b.page.keyboard.press('End');
    await b.page.keyboard.insertText('Y');
    await waitFor('Bob’s edit in Ann’s doc', () =>
      a.page.evaluate(() => String((window.concordDemo?.doc as { data: unknown }).data).includes('Y')));
    expect((await padValue(a.page)).value).toBe('aにほbc');
    await ime.send('Input.imeSetComposition', { text: 'にほん', selectionStart: 3, selectionEnd: 3 });
    await ime.send('Input.insertText', { text: '日本' });
    const both = async (want: string): Promise<void> => {
      await waitFor(`both pads show ${want}`, async () => (await padValue(a.page)).value === want && (await padValue(b.page)).value === want);
    };
    await both('a日本bcY');
    expect(await padValue(a.page)).toMatchObject({ start: 3, end: 3 });
    await a.page.keyboard.insertText('!');
    await both('a日本!bcY');
    expect([...a.errors, ...b.errors, ...a.warnings]).toEqual([]);
  });

  it('a paste over the server’s message limit is refused on its own, not with the keys around it; the pad stays online', async () => {
    // Sent, the paste made the server close the connection for good (1009): the pad went on taking keys that were
    // never sent and were lost with the page. Then, refused at the socket, it took with it the keys ShareDB had
    // composed it with: here all three edits come in one task, before ShareDB sends anything.
    const [a, b] = await annAndBobOnOnePad('pad-huge-paste');
    await a.page.focus('#pad');
    await a.page.keyboard.insertText('before ');
    await waitFor('text at Bob', async () => (await padValue(b.page)).value === 'before ');
    await a.page.evaluate((n) => {
      document.execCommand('insertText', false, 'a');
      document.execCommand('insertText', false, 'x'.repeat(n));
      document.execCommand('insertText', false, 'c');
    }, 1_200_000);
    await waitFor('the paste refused', () => a.warnings.some((w) => w.includes('ERR_MESSAGE_TOO_BIG') || w.includes('was not sent')));
    await waitFor('the keys around the paste at Bob', async () => (await padValue(b.page)).value === 'before ac');
    expect(await padValue(a.page)).toMatchObject({ value: 'before ac', start: 9, end: 9 });
    await a.page.keyboard.insertText('after');
    await waitFor('Ann’s later typing at Bob', async () => (await padValue(b.page)).value === 'before acafter');
    expect(await a.page.locator('#status').getAttribute('data-state')).toBe('online');
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('a name chosen with ?name= is shown as text, never run as HTML', async () => {
    if (!server || !browser) throw new Error('not started');
    const id = docId('xss-anon');
    const a = await openDemo(browser, `${server.httpUrl}/rich-text.html?name=${encodeURIComponent(XSS)}#${id}`);
    const b = await openDemo(browser, `${server.httpUrl}/rich-text.html?name=Bob#${id}`);
    await placeCaret(a.page, 0);
    await a.page.keyboard.type('hi');
    await waitFor('listed at Bob', async () => (await people(b.page)).includes(XSS));
    await b.page.locator('.ql-cursor-name', { hasText: XSS }).waitFor({ timeout: 5000 });
    expect(await a.page.locator('#me').textContent()).toBe(XSS);
    await expectNoXss([a, b]);
  });

  it('a name from the token (auth on, tokens from ?tokenUrl=) is shown as text, never run as HTML', async () => {
    if (!authServer || !browser) throw new Error('not started');
    const id = docId('xss-auth');
    const url = (name: string): string =>
      `${authServer?.httpUrl}/rich-text.html?tokenUrl=/test-token&name=${encodeURIComponent(name)}#${id}`;
    const a = await openDemo(browser, url(XSS), { prepare: serveTokens });
    const b = await openDemo(browser, url('Bob'), { prepare: serveTokens });
    await placeCaret(a.page, 0);
    await a.page.keyboard.type('signed in');
    await waitFor('text at Bob', async () => (await quillText(b.page)) === 'signed in\n');
    await waitFor('listed at Bob', async () => (await people(b.page)).includes(XSS));
    await b.page.locator('.ql-cursor-name', { hasText: XSS }).waitFor({ timeout: 5000 });
    await screenshot(b.page, 'rich-text-names-as-text');
    await expectNoXss([a, b]);
  });
});

/** The host app's token endpoint `/test-token`, played by the test: it signs whatever name it is asked for. */
async function serveTokens(context: BrowserContext): Promise<void> {
  await context.route((url) => url.pathname === '/test-token', (route) => {
    const asked = new URL(route.request().url()).searchParams.get('name') ?? '';
    const token = signTestToken({ sub: `user-${Buffer.from(asked).toString('hex').slice(0, 16)}`, name: asked });
    return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ token }) });
  });
}
