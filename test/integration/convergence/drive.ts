/**
 * The convergence driver: stock ShareDB clients over real WebSockets, all subscribed to one document, each firing
 * seeded random ops at its own local (optimistic) snapshot without waiting for acks, then a wait until every
 * client is idle at the server's version. What it records (acks, no-op acks, failures, errors, markers) is
 * asserted by the test.
 */
import type { Doc } from 'sharedb/lib/client/index.js';
import { ANONYMOUS, type Session } from '@concord/server';
import { connectStock, create, subscribe, type StockClient } from '../../helpers/stock-client.js';
import type { TestServer } from '../../helpers/test-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import type { GenContext, OpGenerator } from './generator.js';
import { deriveSeed, mulberry32, type Rng } from './random.js';

export const COLLECTION = 'convergence';
const SERVER_SESSION: Session = { principal: ANONYMOUS, remoteAddress: '127.0.0.1', transport: 'internal' };

export interface Editor {
  readonly index: number;
  readonly client: StockClient;
  readonly doc: Doc;
  readonly rng: Rng;
  submitted: number;
  /** submitOp callbacks without an error. */
  acked: number;
  /** Acks the server sent as ERR_NO_OP: the op was transformed into nothing and not committed. */
  noOps: number;
  readonly failures: unknown[];
  /** 'error' events of the connection and the doc. */
  readonly errors: unknown[];
  readonly markers: string[];
  nextId: number;
}

export interface EditPlan {
  /** Ops each client submits at most. */
  opsPerClient: number;
  /** Ops each client submits at least, even past `editMs` (on a loaded machine), so that every client takes part. */
  minOpsPerClient: number;
  /** The edit phase ends after this long even if budgets are not used up. */
  editMs: number;
  /** Ops a client keeps unacknowledged at most (one in flight, the rest pending). */
  maxOutstanding: number;
}

/** Connects `count` clients; the first creates the document, then all subscribe. */
export async function openEditors(
  server: TestServer, generator: OpGenerator, id: string, seed: number, count: number, opened: StockClient[],
): Promise<Editor[]> {
  const editors: Editor[] = [];
  for (let index = 0; index < count; index++) {
    const client = await connectStock(server.wsUrl);
    opened.push(client);
    const doc = client.connection.get(COLLECTION, id);
    // One server op per submitOp, so that acks and committed ops can be counted against each other.
    doc.preventCompose = true;
    const editor: Editor = {
      index, client, doc, rng: mulberry32(deriveSeed(seed, generator.type, index)),
      submitted: 0, acked: 0, noOps: 0, failures: [], errors: [], markers: [], nextId: 0,
    };
    client.connection.on('error', (err) => editor.errors.push(err));
    doc.on('error', (err) => editor.errors.push(err));
    client.connection.on('receive', (request: { data: { a?: string; error?: { code?: string } } }) => {
      if (request.data.a === 'op' && request.data.error?.code === 'ERR_NO_OP') editor.noOps++;
    });
    editors.push(editor);
  }
  const first = editors[0];
  if (!first) throw new Error('no clients');
  await create(first.doc, generator.initialData(), generator.type);
  await Promise.all(editors.map((editor) => subscribe(editor.doc)));
  return editors;
}

/** Runs every client's edit loop concurrently until budgets are spent or time is up. */
export async function editConcurrently(editors: Editor[], generator: OpGenerator, plan: EditPlan): Promise<void> {
  const deadline = Date.now() + plan.editMs;
  await Promise.all(editors.map((editor) => editLoop(editor, generator, plan, deadline)));
}

async function editLoop(editor: Editor, generator: OpGenerator, plan: EditPlan, deadline: number): Promise<void> {
  const ctx = contextOf(editor);
  // Past the deadline only to reach the minimum, and not forever: a client whose acks never come stops, and the
  // test then reports it as having taken too small a part.
  const hardDeadline = deadline + 4 * plan.editMs;
  const more = (): boolean => editor.submitted < plan.opsPerClient &&
    (Date.now() < deadline || (editor.submitted < plan.minOpsPerClient && Date.now() < hardDeadline));
  while (more()) {
    await pause(editor.rng);
    // A burst of ops back to back: several are pending behind the one in flight.
    for (let burst = editor.rng.int(1, 3); burst > 0; burst--) {
      const outstanding = editor.submitted - editor.acked - editor.failures.length;
      if (editor.submitted >= plan.opsPerClient || outstanding >= plan.maxOutstanding) break;
      submitOne(editor, generator, ctx);
    }
  }
}

function contextOf(editor: Editor): GenContext {
  const uid = (): string => `c${editor.index}:${editor.nextId++}`;
  return {
    rng: editor.rng,
    uid,
    marker: () => {
      const marker = `<${uid()}>`;
      editor.markers.push(marker);
      return marker;
    },
  };
}

/** Generates against the doc's data right now, the client's optimistic state, and submits without waiting. */
function submitOne(editor: Editor, generator: OpGenerator, ctx: GenContext): void {
  const op = generator.next(editor.doc.data, ctx);
  editor.submitted++;
  const done = (err?: unknown): void => {
    if (err) editor.failures.push({ op, err });
    else editor.acked++;
  };
  try {
    editor.doc.submitOp(op as never, {}, done);
  } catch (err) {
    done(err);
  }
}

/** A random gap: often none (next macrotask), sometimes a few milliseconds. */
function pause(rng: Rng): Promise<void> {
  if (rng.chance(0.4)) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, rng.int(1, 6)));
}

export interface ServerState {
  v: number;
  data: unknown;
}

/** Waits until no client has anything pending and every client is at the server's version. */
export async function settle(server: TestServer, editors: Editor[], id: string, timeoutMs: number): Promise<ServerState> {
  return waitFor('every client idle at the server version', async () => {
    if (editors.some((editor) => editor.doc.hasPending())) return undefined;
    const state = await server.collab.docs.get(SERVER_SESSION, COLLECTION, id);
    return editors.every((editor) => editor.doc.version === state.v) ? { v: state.v, data: state.data } : undefined;
  }, timeoutMs, 25);
}

/** Plain JSON, so a client's Delta instance and the stored snapshot compare by content. */
export function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}
