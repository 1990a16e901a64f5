/**
 * What `/admin` shows: connections, the hottest documents, and ops/s and commit latency over the last minute,
 * sampled once a second from the engine (the same events the metrics count).
 */
import type { Engine } from '../engine/engine.js';
import { useSync } from '../engine/middleware.js';

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

export class LiveStatus {
  private readonly history: StatusSample[] = [];
  private readonly perDoc = new Map<string, number[]>();
  private second = { ops: 0, rejected: 0, latencies: [] as number[] };
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly engine: Engine, private readonly connections: () => LiveStatusReport['connections']) {
    engine.onSubmit((outcome) => {
      if (outcome.error) this.second.rejected++;
    });
    useSync(engine.backend, 'afterWrite', (request) => {
      this.second.ops++;
      this.second.latencies.push(Date.now() - request.start);
      const key = `${request.collection}\n${request.id}`;
      const counts = this.perDoc.get(key) ?? this.perDoc.set(key, new Array<number>(WINDOW).fill(0)).get(key)!;
      counts[counts.length - 1]! += 1;
    });
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  report(): LiveStatusReport {
    const hottest = [...this.perDoc.entries()]
      .map(([key, counts]) => {
        const [collection = '', id = ''] = key.split('\n');
        return { collection, id, opsLastMinute: counts.reduce((a, b) => a + b, 0) };
      })
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
    for (const [key, counts] of this.perDoc) {
      counts.shift();
      counts.push(0);
      if (counts.every((c) => c === 0)) this.perDoc.delete(key);
    }
  }
}
