import { describe, expect, it } from 'vitest';
import { Histogram, Registry } from 'prom-client';
import { FastHistogram } from '../../../server/dist/observability/fast-histogram.js';

describe('FastHistogram', () => {
  it('renders exactly what a prom-client Histogram renders for the same observations', async () => {
    const buckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.25, 1];
    const values = [0, 0.0005, 0.0007, 0.003, 0.003, 0.2, 0.9, 1, 1.5, 42, 0.00049];
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new FastHistogram({ name: 'latency_seconds', help: 'Latency', buckets, registers: [ours] });
    const reference = new Histogram({ name: 'latency_seconds', help: 'Latency', buckets, registers: [theirs] });
    for (const v of values) {
      fast.observe(v);
      reference.observe(v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('latency_seconds_bucket{le="0.005"} 6');
    // The same JSON too, but for prom-client's empty exemplar slots.
    const withoutExemplars = (json: unknown) => JSON.parse(JSON.stringify(json, (key, value: unknown) => (key === 'exemplar' ? undefined : value)));
    expect(withoutExemplars(await ours.getMetricsAsJSON())).toEqual(withoutExemplars(await theirs.getMetricsAsJSON()));

    fast.reset();
    expect(await ours.metrics()).toContain('latency_seconds_bucket{le="+Inf"} 0\nlatency_seconds_sum 0\nlatency_seconds_count 0');
  });
});
