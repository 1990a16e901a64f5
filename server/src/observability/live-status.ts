/**
 * What `/admin` shows: connections, the hottest documents, and ops/s and commit latency over the last minute,
 * sampled once a second from the engine (the same events the metrics count).
 */
import type { Engine } from '../engine/engine.js';
import { useSync } from '../engine/middleware.js';
import { DocMap } from '../storage/doc-map.js';
import { msSinceSubmitted } from '../engine/op-clock.js';

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

/**
 * Commits per second of one document over the last WINDOW seconds: a ring indexed by the status clock's second, aged
 * lazily (when the document is written or reported), so that the once-a-second tick costs nothing per document.
 */
interface DocCounts {
  readonly collection: string;
  readonly id: string;
  readonly counts: number[];
  /** The status clock's second `counts` is current for. */
  asOf: number;
  /** Sum of `counts`. */
  total: number;
}

/** Clears the slots of the seconds that passed since `doc.asOf`, so that `total` covers the WINDOW up to `now`. */
function age(doc: DocCounts, now: number): void {
  if (now - doc.asOf >= WINDOW) {
    doc.counts.fill(0);
    doc.total = 0;
  } else {
    for (let s = doc.asOf + 1; s <= now; s++) {
      doc.total -= doc.counts[s % WINDOW]!;
      doc.counts[s % WINDOW] = 0;
    }
  }
  doc.asOf = now;
}

export class LiveStatus {
  private readonly history: StatusSample[] = [];
  private readonly perDoc = new DocMap<DocCounts>();
  private second = { ops: 0, rejected: 0, latencies: [] as number[] };
  /** Seconds ticked since start: the clock of the per-document rings. */
  private clock = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly engine: Engine, private readonly connections: () => LiveStatusReport['connections']) {
    engine.onSubmit((outcome) => {
      if (outcome.error) this.second.rejected++;
    });
    useSync(engine.backend, 'afterWrite', (request) => {
      this.second.ops++;
      this.second.latencies.push(msSinceSubmitted(request.op, request.start));
      let doc = this.perDoc.get(request.collection, request.id);
      if (!doc) {
        doc = { collection: request.collection, id: request.id, counts: new Array<number>(WINDOW).fill(0), asOf: this.clock, total: 0 };
        this.perDoc.set(request.collection, request.id, doc);
      }
      age(doc, this.clock);
      doc.counts[this.clock % WINDOW]! += 1;
      doc.total += 1;
    });
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  report(): LiveStatusReport {
    const hottest: LiveStatusReport['hottest'] = [];
    for (const doc of this.perDoc.values()) {
      age(doc, this.clock);
      if (doc.total > 0) hottest.push({ collection: doc.collection, id: doc.id, opsLastMinute: doc.total });
    }
    hottest.sort((a, b) => b.opsLastMinute - a.opsLastMinute).splice(10);
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
    this.clock++;
    // Once a window, documents not written for a whole window go.
    if (this.clock % WINDOW !== 0) return;
    for (const doc of this.perDoc.values()) {
      age(doc, this.clock);
      if (doc.total === 0) this.perDoc.delete(doc.collection, doc.id);
    }
  }
}
