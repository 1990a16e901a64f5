/**
 * Shared set-up of the browser tests: Debian's Chromium driven by playwright-core, the real standalone server as a
 * child process serving the demo pages, pages with their errors collected, and screenshots as artifacts.
 *
 * Chromium comes from `/usr/bin/chromium` (Playwright's own download cannot work here). Under CI a missing browser
 * fails the tests; locally they wait a while for an install in progress.
 */
/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { waitFor } from '../helpers/wait-for.js';

export const CHROMIUM = '/usr/bin/chromium';
const DEMO_BUNDLE = fileURLToPath(new URL('../../client/demo/build/rich-text-page.js', import.meta.url));
export const SCREENSHOTS = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));

/** Time `beforeAll` may take: locally it may wait for an install of Chromium in progress. */
export const SETUP_TIMEOUT_MS = 10 * 60_000;

/** Resolves once Chromium is installed; in CI a missing browser is a failure, never a skip. */
export async function requireChromium(): Promise<void> {
  if (existsSync(CHROMIUM)) return;
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)`);
  await waitFor(`${CHROMIUM} (apt install in progress?)`, () => existsSync(CHROMIUM), SETUP_TIMEOUT_MS - 30_000, 2000);
}

export async function launchBrowser(): Promise<Browser> {
  await requireChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** The standalone server with in-memory storage, serving the demo at `/`. */
export async function startDemoServer(env: Record<string, string> = {}): Promise<ChildServer> {
  if (!existsSync(DEMO_BUNDLE)) throw new Error('the demo is not bundled: run `npm run build` (or `npm run bundle -w client`)');
  return startChildServer({ STORAGE: 'memory', ...env });
}

export async function stopServer(server: ChildServer | undefined): Promise<void> {
  if (!server) return;
  server.kill('SIGTERM');
  await server.exited;
}

export interface DemoPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Uncaught errors of the page (console errors and page errors). */
  readonly errors: string[];
  /** The page's console warnings (the demo reports refused edits and client errors this way). */
  readonly warnings: string[];
}

export interface OpenOptions {
  /** Runs on the new context before the page loads (for example to answer requests with `context.route`). */
  prepare?: (context: BrowserContext) => Promise<void>;
}

const openContexts = new Set<BrowserContext>();

/** Closes every context `openDemo` opened (call in afterEach). */
export async function closePages(): Promise<void> {
  const contexts = [...openContexts];
  openContexts.clear();
  await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
}

/** Opens a demo page in its own browser context and waits until it is connected and bound. */
export async function openDemo(browser: Browser, url: string, options: OpenOptions = {}): Promise<DemoPage> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  openContexts.add(context);
  await options.prepare?.(context);
  const page = await context.newPage();
  const errors: string[] = [];
  const warnings: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    else if (message.type() === 'warning') warnings.push(message.text());
  });
  await page.goto(url);
  await page.waitForFunction(() => window.concordDemo?.ready === true, null, { timeout: 20_000 });
  return { page, context, errors, warnings };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

let counter = 0;
/** A fresh document id per test. */
export function docId(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** The demo's live objects as the page sees them (see client/src/demo/demo-setup.ts). */
declare global {
  interface Window {
    concordDemo?: Record<string, unknown> & { ready?: boolean };
    __xss?: unknown;
  }
}

/**
 * A demo server and a browser for one test file: registers the hooks that start them (in parallel), close the pages
 * after each test and stop both at the end. The returned function gives them once started.
 */
export function useDemo(env: Record<string, string> = {}): () => { server: ChildServer; browser: Browser } {
  let server: ChildServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startDemoServer(env), launchBrowser()]);
  }, SETUP_TIMEOUT_MS);
  afterEach(closePages);
  afterAll(async () => {
    await browser?.close();
    await stopServer(server);
  });
  return () => {
    if (!server || !browser) throw new Error('the demo server and browser are not started');
    return { server, browser };
  };
}
