/**
 * The restart scenario, for any storage: a varied history written through REST and a stock client (four OT types,
 * a deleted document, a document deleted and created again), every history read of it taken before a stop
 * (REST current state, `?version=N` for every N, `/ops` ranges with `m.ts` / `m.user`, `?at=<ts>` around every op),
 * then a clean SIGTERM restart and a kill -9 restart on the same store, after each of which every read must answer
 * exactly as before.
 */
import { expect } from 'vitest';
import { startChildServer, type ChildServer } from '../../helpers/child-server.js';
import { connectStock, call, create, submit, subscribe, type StockClient } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';

export const HISTORY_COLLECTION = 'history';
const API = `/api/docs/${HISTORY_COLLECTION}`;

/** Documents written through the stock client, with their initial data and the k-th op. */
const STOCK_DOCS = [
  { id: 'json1', type: 'json1', initial: { n: 0, items: [] },
    op: (k: number) => (k % 2 ? ['n', { r: true, i: k }] : ['items', 0, { i: `item ${k}` }]) },
  { id: 'text', type: 'text-unicode', initial: 'start ',
    op: (k: number) => (k % 3 ? [`w${k} `] : [3, 'é😀']) },
  { id: 'rich', type: 'rich-text', initial: [{ insert: '\n' }],
    op: (k: number) => (k % 2 ? [{ insert: `w${k} `, attributes: { bold: true } }] : [{ retain: 1 }, { insert: `tail${k}` }]) },
] as const;

/** Every document id the reads cover, `never` being one that was never created. */
const IDS = ['json0', ...STOCK_DOCS.map((d) => d.id), 'deleted', 'recreated', 'never'];

export interface Read {
  readonly path: string;
  readonly status: number;
  readonly body: unknown;
}

async function rest(httpUrl: string, method: string, path: string, body?: unknown): Promise<Read> {
  const res = await fetch(`${httpUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { path, status: res.status, body: text ? JSON.parse(text) : null };
}

async function restOk(httpUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const read = await rest(httpUrl, method, path, body);
  if (read.status >= 300) throw new Error(`${method} ${path}: ${read.status} ${JSON.stringify(read.body)}`);
  return read.body;
}

/** Lets the clock move on, so that ops get distinct `m.ts` and `?at=` reads fall between them. */
async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  await waitFor('the clock to tick', () => Date.now() > now, 1_000, 1);
}

/**
 * Round 0 creates the documents and writes `opsPerDoc` ops to each (json0 through REST, the others through a stock
 * client); later rounds add `opsPerDoc` ops to the live documents.
 */
export async function writeHistory(server: ChildServer, round: number, opsPerDoc: number): Promise<void> {
  const { httpUrl } = server;
  if (round === 0) await restOk(httpUrl, 'POST', `${API}/json0`, { type: 'json0', data: { n: 0, list: [] } });
  for (let k = 0; k < opsPerDoc; k++) {
    const { v } = (await restOk(httpUrl, 'GET', `${API}/json0`)) as { v: number };
    const op = k % 2 ? [{ p: ['n'], na: k }] : [{ p: ['list', 0], li: `r${round}k${k}` }];
    await restOk(httpUrl, 'POST', `${API}/json0/ops`, { op, v });
    await nextMillisecond();
  }
  const client = await connectStock(server.wsUrl);
  try {
    for (const spec of STOCK_DOCS) {
      const doc = client.connection.get(HISTORY_COLLECTION, spec.id);
      await subscribe(doc);
      if (round === 0) await create(doc, spec.initial, spec.type);
      for (let k = 0; k < opsPerDoc; k++) {
        await submit(doc, spec.op(round * 100 + k));
        await nextMillisecond();
      }
    }
    if (round === 0) await writeDeletedDocs(client, httpUrl);
  } finally {
    client.close();
  }
}

async function writeDeletedDocs(client: StockClient, httpUrl: string): Promise<void> {
  await restOk(httpUrl, 'POST', `${API}/deleted`, { type: 'json0', data: { n: 0 } });
  for (let k = 0; k < 7; k++) {
    await restOk(httpUrl, 'POST', `${API}/deleted/ops`, { op: [{ p: ['n'], na: 1 }], v: k + 1 });
    await nextMillisecond();
  }
  await restOk(httpUrl, 'DELETE', `${API}/deleted`);
  const doc = client.connection.get(HISTORY_COLLECTION, 'recreated');
  await subscribe(doc);
  await create(doc, 'first life ', 'text-unicode');
  for (let k = 0; k < 3; k++) await submit(doc, [`t${k} `]);
  await nextMillisecond();
  await call((cb) => doc.del({}, cb));
  await nextMillisecond();
  await create(doc, { again: true, n: 0 }, 'json0');
  for (let k = 0; k < 4; k++) {
    await submit(doc, [{ p: ['n'], na: 1 }]);
    await nextMillisecond();
  }
}

/**
 * The paths of the reads to compare, planned from the current history: the current state, versions around every
 * milestone boundary and at the ends, `/ops` ranges, and `?at=` at and just before a spread of op timestamps.
 */
export async function planReads(httpUrl: string, milestoneInterval: number): Promise<string[]> {
  const paths: string[] = [];
  for (const id of IDS) {
    const base = `${API}/${id}`;
    paths.push(base, `${base}/ops`);
    const history = await rest(httpUrl, 'GET', `${base}/ops`);
    if (history.status !== 200) continue;
    const ops = (history.body as { ops: Array<{ v: number; m: { ts: number } }> }).ops;
    const v = ops.length;
    const versions = new Set([0, 1, 2, v - 1, v, v + 1]);
    for (let m = milestoneInterval; m <= v; m += milestoneInterval) versions.add(m - 1).add(m).add(m + 1).add(m + 2);
    for (const n of [...versions].filter((n) => n >= 0 && n <= v + 1).sort((a, b) => a - b)) paths.push(`${base}?version=${n}`);
    paths.push(`${base}/ops?from=3&to=9`, `${base}/ops?from=${Math.max(0, v - 2)}`, `${base}/ops?from=${v}`,
      `${base}/ops?from=7&to=7`, `${base}/ops?from=1&to=${v + 10}`);
    const stamps = new Set<number>([0]);
    for (const op of ops) {
      if (op.v % 3 === 0) stamps.add(op.m.ts);
      if (op.v % 4 === 1) stamps.add(op.m.ts - 1);
    }
    stamps.add((ops.at(-1)?.m.ts ?? 0) + 60_000);
    for (const ts of [...stamps].sort((a, b) => a - b)) paths.push(`${base}?at=${ts}`);
  }
  return paths;
}

/** GETs every path (a few at a time) and returns status and body of each, in order. */
export async function fetchReads(httpUrl: string, paths: readonly string[]): Promise<Read[]> {
  const reads: Read[] = new Array(paths.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const index = next++;
      reads[index] = await rest(httpUrl, 'GET', paths[index] as string);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return reads;
}

/** What makes the comparison meaningful: the reads cover versions behind milestones, metadata and past states. */
export function expectRichHistory(reads: readonly Read[], milestoneInterval: number): void {
  const ok = reads.filter((r) => r.status === 200);
  const versionReads = ok.filter((r) => /\?version=\d+$/.test(r.path));
  expect(versionReads.some((r) => Number(/version=(\d+)/.exec(r.path)?.[1]) > milestoneInterval + 1)).toBe(true);
  expect(ok.filter((r) => r.path.includes('?at=')).length).toBeGreaterThan(20);
  const opsRead = ok.find((r) => r.path === `${API}/json0/ops`)?.body as { ops: Array<{ m: { ts: unknown; user: unknown } }> };
  expect(opsRead.ops.length).toBeGreaterThan(2 * milestoneInterval);
  for (const op of opsRead.ops) expect(op.m).toEqual({ ts: expect.any(Number), user: 'anonymous' });
  // The deleted document: gone now, its past versions still readable.
  expect(reads.find((r) => r.path === `${API}/deleted`)?.status).toBe(404);
  expect(reads.find((r) => r.path === `${API}/deleted?version=5`)).toMatchObject({ status: 200, body: { v: 5, data: { n: 4 } } });
  expect(reads.find((r) => r.path === `${API}/recreated`)).toMatchObject({ status: 200, body: { type: 'json0', data: { again: true, n: 4 } } });
  expect(reads.find((r) => r.path === `${API}/never`)?.status).toBe(404);
}

async function startOn(env: Record<string, string>): Promise<ChildServer> {
  const server = await startChildServer(env);
  await waitFor('/readyz 200', async () => (await fetch(`${server.httpUrl}/readyz`)).status === 200, 15_000, 100);
  return server;
}

export interface RestartScenarioOptions {
  /** Server environment naming the store (STORAGE, DATA_DIR or MONGO_URL) and MILESTONE_INTERVAL. */
  readonly env: Record<string, string>;
  readonly milestoneInterval: number;
  /** Runs while no server is running, after the clean stop (e.g. to inspect the file). */
  readonly afterCleanStop?: () => void | Promise<void>;
}

/** Write, read, SIGTERM, restart, compare; write more, read, kill -9, restart, compare. */
export async function runRestartScenario(options: RestartScenarioOptions): Promise<void> {
  const env: Record<string, string> = { ...options.env, MILESTONE_INTERVAL: String(options.milestoneInterval) };
  const t0 = Date.now();
  const lap = (what: string): void => console.log(`restart scenario (${env['STORAGE']}): ${what} at ${Date.now() - t0} ms`);
  const first = await startOn(env);
  let paths: string[];
  let before: Read[];
  try {
    await writeHistory(first, 0, 2 * options.milestoneInterval + 3);
    paths = await planReads(first.httpUrl, options.milestoneInterval);
    before = await fetchReads(first.httpUrl, paths);
    lap(`history written, ${paths.length} reads taken`);
    expectRichHistory(before, options.milestoneInterval);
  } finally {
    first.kill('SIGTERM');
  }
  expect(await first.exited).toEqual({ code: 0, signal: null });
  await options.afterCleanStop?.();

  const second = await startOn(env);
  try {
    expect(await fetchReads(second.httpUrl, paths)).toEqual(before);
    lap(`SIGTERM restart: ${paths.length} reads identical`);
    // The history goes on from where it was; then read everything again, and kill -9.
    await writeHistory(second, 1, options.milestoneInterval + 2);
    paths = await planReads(second.httpUrl, options.milestoneInterval);
    before = await fetchReads(second.httpUrl, paths);
  } finally {
    second.kill('SIGKILL');
  }
  expect(await second.exited).toEqual({ code: null, signal: 'SIGKILL' });

  const third = await startOn(env);
  try {
    expect(await fetchReads(third.httpUrl, paths)).toEqual(before);
    lap(`kill -9 restart: ${paths.length} reads identical`);
  } finally {
    third.kill('SIGTERM');
  }
  expect(await third.exited).toEqual({ code: 0, signal: null });
}
