/**
 * A label-less Prometheus histogram for paths that run once per op per subscriber. prom-client's `observe` builds and
 * hashes a label object on every call, about 4% of the server's time on a hot document; here an observation is a
 * bucket search and three additions. It registers itself and renders exactly as a prom-client Histogram would
 * (checked by a test against one), so scrapers and dashboards see no difference.
 */
import type { Registry } from 'prom-client';

export interface FastHistogramOptions {
  readonly name: string;
  readonly help: string;
  /** Upper bounds, ascending; `+Inf` is implied. */
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

interface Value {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

export class FastHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: readonly number[];
  private counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(options: FastHistogramOptions) {
    this.name = options.name;
    this.help = options.help;
    this.bounds = [...options.buckets];
    this.counts = new Float64Array(this.bounds.length);
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  observe(value: number): void {
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]! += 1;
        break;
      }
    }
    this.sum += value;
    this.count += 1;
  }

  reset(): void {
    this.counts = new Float64Array(this.bounds.length);
    this.sum = 0;
    this.count = 0;
  }

  /** What prom-client's registry renders (the shape of its own Histogram's `get()`). */
  get(): { name: string; help: string; type: string; aggregator: string; values: Value[] } {
    const values: Value[] = [];
    let cumulative = 0;
    this.bounds.forEach((le, i) => {
      cumulative += this.counts[i]!;
      values.push({ value: cumulative, labels: { le }, metricName: `${this.name}_bucket` });
    });
    values.push({ value: this.count, labels: { le: '+Inf' }, metricName: `${this.name}_bucket` });
    values.push({ value: this.sum, labels: {}, metricName: `${this.name}_sum` });
    values.push({ value: this.count, labels: {}, metricName: `${this.name}_count` });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
