/**
 * Marker load for the durability tests. Stock clients over real sockets submit ops to documents of four OT types;
 * every op carries a unique marker (`<cycle.client.n>`: a list item for json0/json1, inserted text for
 * text-unicode/rich-text, always at marker boundaries so that no marker is ever split). A ledger records what the
 * server acknowledged and what was still in flight (sent or pending) when it died.
 */
import type { Doc } from 'sharedb/lib/client/index.js';
import { connectStock, create, subscribe, type StockClient } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';
import { deriveSeed, mulberry32, type Rng } from '../convergence/random.js';

export const COLLECTION = 'durable';

export type TypeName = 'json0' | 'json1' | 'text-unicode' | 'rich-text';

export interface DocSpec {
  readonly id: string;
  readonly type: TypeName;
  readonly initial: unknown;
  /** An op inserting `marker` into the client's local `data`, at a marker boundary. */
  op(data: unknown, marker: string, rng: Rng): unknown;
}

export const DOCS: readonly DocSpec[] = [
  {
    id: 'list-json0', type: 'json0', initial: { list: [] },
    op: (data, marker, rng) => [{ p: ['list', rng.int(0, listOf(data).length)], li: marker }],
  },
  {
    id: 'list-json1', type: 'json1', initial: { list: [] },
    op: (data, marker, rng) => ['list', rng.int(0, listOf(data).length), { i: marker }],
  },
  {
    id: 'text-unicode', type: 'text-unicode', initial: '',
    op: (data, marker, rng) => {
      const at = rng.pick(boundaries(data as string));
      return at === 0 ? [marker] : [at, marker];
    },
  },
  {
    id: 'rich-text', type: 'rich-text', initial: [],
    op: (data, marker, rng) => {
      const at = rng.pick(boundaries(deltaText(data)));
      return at === 0 ? [{ insert: marker }] : [{ retain: at }, { insert: marker }];
    },
  },
];

/** Every marker in any JSON value (an op, a snapshot). */
export const MARKER = /<\d+\.\d+\.\d+>/g;

export function markersIn(value: unknown): string[] {
  return JSON.stringify(value ?? null).match(MARKER) ?? [];
}

function listOf(data: unknown): unknown[] {
  return (data as { list: unknown[] }).list;
}

function deltaText(data: unknown): string {
  return (data as { ops: Array<{ insert?: unknown }> }).ops
    .map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');
}

/** Positions between markers: 0 and after every `>` (markers are ASCII, so UTF-16 = code points). */
function boundaries(text: string): number[] {
  const out = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '>') out.push(i + 1);
  return out;
}

export type MarkerState = 'in-flight' | 'acked' | 'failed';

export interface MarkerRecord {
  readonly doc: string;
  readonly cycle: number;
  state: MarkerState;
  /** Left the client in an op message (ShareDB's client holds later ops back, composed, until the one in flight is acked). */
  sentOnWire: boolean;
  error?: string;
}

/** Every marker ever submitted, across cycles, with what the client was told. */
export class Ledger {
  readonly markers = new Map<string, MarkerRecord>();

  sent(marker: string, doc: string, cycle: number): void {
    this.markers.set(marker, { doc, cycle, state: 'in-flight', sentOnWire: false });
  }

  /** Every op message a client sends: the markers in it have left the client. */
  onWire(message: unknown): void {
    const { a, op } = (message ?? {}) as { a?: unknown; op?: unknown };
    if (a !== 'op') return;
    for (const marker of markersIn(op)) {
      const record = this.markers.get(marker);
      if (record) record.sentOnWire = true;
    }
  }

  answered(marker: string, err: unknown): void {
    const record = this.markers.get(marker);
    if (!record) return;
    if (err) {
      record.state = 'failed';
      record.error = String((err as { code?: unknown }).code ?? err);
    } else {
      record.state = 'acked';
    }
  }

  count(cycle: number, state: MarkerState, onlySentOnWire = false): number {
    let n = 0;
    for (const record of this.markers.values()) {
      if (record.cycle === cycle && record.state === state && (!onlySentOnWire || record.sentOnWire)) n++;
    }
    return n;
  }
}

export interface LoadOptions {
  readonly wsUrl: string;
  readonly cycle: number;
  readonly seed: number;
  readonly clients: number;
  readonly ledger: Ledger;
  /** Creates the documents first (the first cycle on an empty folder). */
  readonly createDocs: boolean;
}

export interface RunningLoad {
  readonly clients: readonly StockClient[];
  /** Stops submitting new ops (ops already submitted stay pending / in flight). */
  stop(): void;
  /** Resolves when every client loop has returned. */
  readonly done: Promise<void>;
}

/** Connects `clients` stock clients, subscribes each to every document, and starts submitting marker ops. */
export async function startLoad(options: LoadOptions): Promise<RunningLoad> {
  const clients = await Promise.all(Array.from({ length: options.clients }, () => connectStock(options.wsUrl)));
  for (const client of clients) client.connection.on('send', (message: unknown) => options.ledger.onWire(message));
  const [first] = clients;
  if (!first) throw new Error('no clients');
  if (options.createDocs) {
    for (const spec of DOCS) await create(first.connection.get(COLLECTION, spec.id), spec.initial, spec.type);
  }
  const docs = await Promise.all(clients.map(async (client) => {
    const own = DOCS.map((spec) => ({ spec, doc: client.connection.get(COLLECTION, spec.id) }));
    await Promise.all(own.map(({ doc }) => subscribe(doc)));
    return own;
  }));
  let stopped = false;
  const loops = docs.map(async (own, index) => {
    const rng = mulberry32(deriveSeed(options.seed, `cycle${options.cycle}`, index));
    for (let n = 0; !stopped; n++) {
      const { spec, doc } = rng.pick(own);
      submitMarker(doc, spec, `<${options.cycle}.${index}.${n}>`, rng, options);
      // 0-3 ms apart: several ops per document pending while one is in flight, the stock client's normal mode.
      await new Promise((resolve) => setTimeout(resolve, rng.int(0, 3)));
    }
  });
  return { clients, stop: () => void (stopped = true), done: Promise.all(loops).then(() => undefined) };
}

function submitMarker(doc: Doc, spec: DocSpec, marker: string, rng: Rng, options: LoadOptions): void {
  const op = spec.op(doc.data, marker, rng);
  options.ledger.sent(marker, spec.id, options.cycle);
  try {
    doc.submitOp(op as never, {}, (err) => options.ledger.answered(marker, err));
  } catch (err) {
    options.ledger.answered(marker, err);
  }
}

/** Waits until every client's socket is closed (after the server died): no ack can arrive after that. */
export async function waitForSocketsClosed(clients: readonly StockClient[], timeoutMs = 10_000): Promise<void> {
  let closed = 0;
  for (const client of clients) void client.closed.then(() => closed++);
  await waitFor('client sockets to close', () => closed === clients.length, timeoutMs);
}
