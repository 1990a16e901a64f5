/**
 * What `/admin` shows: connections, the hottest documents, and ops/s and commit latency over the last minute,
 * sampled once a second from the engine (the same events the metrics count).
 */
import type { Engine } from '../engine/engine.js';
import { useSync } from '../engine/middleware.js';
import { DocMap } from '../storage/doc-map.js';

export interface StatusSample {
  /** Epoch ms at the end of the second. */
  t: number;
  opsPerSec: number;
  rejectedPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LiveStatusReport {
  connections: { count: number; users: number; bufferedBytes: number };
  submitsInFlight: number;
  totals: Record<string, number>;
  hottest: Array<{ collection: string; id: string; opsLastMinute: number }>;
  history: StatusSample[];
}

const WINDOW = 60;

/** Commits per second of one document over the last WINDOW seconds, the newest last. */
interface DocCounts {
  readonly collection: string;
  readonly id: string;
  readonly counts: number[];
}

export class LiveStatus {
  private readonly history: StatusSample[] = [];
  private readonly perDoc = new DocMap<DocCounts>();
  private second = { ops: 0, rejected: 0, latencies: [] as number[] };
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly engine: Engine, private readonly connections: () => LiveStatusReport['connections']) {
    engine.onSubmit((outcome) => {
      if (outcome.error) this.second.rejected++;
    });
    useSync(engine.backend, 'afterWrite', (request) => {
      this.second.ops++;
      this.second.latencies.push(Date.now() - request.start);
      let doc = this.perDoc.get(request.collection, request.id);
      if (!doc) {
        doc = { collection: request.collection, id: request.id, counts: new Array<number>(WINDOW).fill(0) };
        this.perDoc.set(request.collection, request.id, doc);
      }
      doc.counts[WINDOW - 1]! += 1;
    });
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  report(): LiveStatusReport {
    const hottest = [...this.perDoc.values()]
      .map(({ collection, id, counts }) => ({ collection, id, opsLastMinute: counts.reduce((a, b) => a + b, 0) }))
      .sort((a, b) => b.opsLastMinute - a.opsLastMinute).slice(0, 10);
    return {
      connections: this.connections(),
      submitsInFlight: this.engine.submitsInFlight,
      totals: this.engine.stats.toJSON(),
      hottest,
      history: [...this.history],
    };
  }

  private tick(): void {
    const sorted = this.second.latencies.sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    this.history.push({ t: Date.now(), opsPerSec: this.second.ops, rejectedPerSec: this.second.rejected, p50Ms: at(0.5), p99Ms: at(0.99) });
    if (this.history.length > WINDOW) this.history.shift();
    this.second = { ops: 0, rejected: 0, latencies: [] };
    for (const { collection, id, counts } of [...this.perDoc.values()]) {
      counts.shift();
      counts.push(0);
      if (counts.every((c) => c === 0)) this.perDoc.delete(collection, id);
    }
  }
}
