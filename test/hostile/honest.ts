/**
 * Two honest stock clients editing one shared json0 document while a hostile case runs: each submits an increment,
 * waits for the ack (the round-trip latency measured) and repeats. Afterwards both must hold the same version and
 * data, with every acknowledged increment counted exactly once.
 */
import { expect } from 'vitest';
import type { Doc } from 'sharedb/lib/client/index.js';
import { connectStock, create, submit, subscribe, call, type StockClient } from '../helpers/stock-client.js';
import { waitFor } from '../helpers/wait-for.js';
import { sleep } from './case.js';

/** The latency budget an honest op round trip must meet (p99) on a loaded 2-core machine. */
export const HONEST_P99_BUDGET_MS = 500;
/** Each honest client makes at least this many round trips per case. */
const MIN_ROUND_TRIPS = 8;
const PAUSE_MS = 30;

export interface Latency { count: number; p50: number; p99: number; max: number }

export class HonestPair {
  private acked = 0;
  private constructor(
    readonly a: StockClient, readonly b: StockClient, readonly docA: Doc, readonly docB: Doc) {}

  static async start(wsUrl: string, tokenA: string, tokenB: string, collection = 'shared', id = 'honest'): Promise<HonestPair> {
    const a = await connectStock(wsUrl, { headers: { authorization: `Bearer ${tokenA}` } });
    const b = await connectStock(wsUrl, { headers: { authorization: `Bearer ${tokenB}` } });
    const docA = a.connection.get(collection, id);
    await subscribe(docA);
    if (docA.type === null) await create(docA, { n: 0 }, 'json0');
    const docB = b.connection.get(collection, id);
    await subscribe(docB);
    const pair = new HonestPair(a, b, docA, docB);
    pair.acked = (docA.data as { n: number }).n;
    return pair;
  }

  /** The connection id of client a (ShareDB's src on its ops). */
  get id(): string {
    return this.a.connection.id as string;
  }

  get nextSeq(): number {
    return (this.a.connection as unknown as { seq: number }).seq;
  }

  /** Edits concurrently from both clients while `work` runs (and at least MIN_ROUND_TRIPS each). */
  async during<T>(work: () => Promise<T>): Promise<{ result: T; latency: Latency }> {
    let done = false;
    const samples: number[] = [];
    const loop = async (doc: Doc): Promise<void> => {
      for (let n = 0; !done || n < MIN_ROUND_TRIPS; n++) {
        const started = performance.now();
        await submit(doc, [{ p: ['n'], na: 1 }]);
        samples.push(performance.now() - started);
        this.acked++;
        await sleep(PAUSE_MS);
      }
    };
    const editing = Promise.all([loop(this.docA), loop(this.docB)]);
    let result: T;
    try {
      result = await work();
    } finally {
      done = true;
    }
    await editing;
    return { result, latency: summarize(samples) };
  }

  /** Both replicas converge on the server's state, and every acknowledged increment is there once. */
  async expectConverged(): Promise<void> {
    await waitFor('the honest replicas to converge', () =>
      !this.docA.hasPending() && !this.docB.hasPending() && this.docA.version === this.docB.version, 15_000);
    expect(this.docB.data).toEqual(this.docA.data);
    expect((this.docA.data as { n: number }).n).toBe(this.acked);
    // And the server agrees: a fresh fetch from a replica gives the same version and data.
    await call((cb) => this.docA.fetch(cb));
    expect(this.docA.version).toBe(this.docB.version);
    expect((this.docA.data as { n: number }).n).toBe(this.acked);
  }

  /** Both honest sockets are still open. */
  alive(): boolean {
    return this.a.socket.readyState === this.a.socket.OPEN && this.b.socket.readyState === this.b.socket.OPEN;
  }

  close(): void {
    this.a.close();
    this.b.close();
  }
}

function summarize(samples: number[]): Latency {
  const sorted = [...samples].sort((x, y) => x - y);
  const at = (q: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0);
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: Math.round(sorted[sorted.length - 1] ?? 0) };
}
