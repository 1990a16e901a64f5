/**
 * Prometheus metrics (prom-client, one registry per server). Collection labels only for collections named in the
 * configuration (others are `other`); document ids are never labels.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { shortTypeName } from '@concord/shared';
import type { Engine } from '../engine/engine.js';
import { useSync } from '../engine/middleware.js';
import { FastHistogram } from './fast-histogram.js';
import { msSinceCommitted, msSinceSubmitted } from '../engine/op-clock.js';

export interface MetricsSources {
  /** Open WebSocket connections and their unread outbound bytes. */
  connections(): { count: number; users: number; bufferedBytes: number };
}

export class Metrics {
  readonly registry = new Registry();
  readonly slowdowns: Counter<'kind'>;
  private readonly known: ReadonlySet<string>;

  constructor(engine: Engine, sources: MetricsSources, collections: readonly string[] = []) {
    this.known = new Set(collections);
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'concord_process_' });
    const label = (collection: string): string => (this.known.has(collection) ? collection : 'other');

    new Gauge({ name: 'concord_connections', help: 'Open WebSocket connections', registers,
      collect() { this.set(sources.connections().count); } });
    new Gauge({ name: 'concord_authenticated_users', help: 'Distinct principals connected', registers,
      collect() { this.set(sources.connections().users); } });
    new Gauge({ name: 'concord_outbound_buffered_bytes', help: 'Bytes queued to clients, not yet sent', registers,
      collect() { this.set(sources.connections().bufferedBytes); } });
    new Gauge({ name: 'concord_subscriptions', help: 'Document and query channels this instance subscribes to', registers,
      collect() { this.set((engine.backend.pubsub as unknown as { streamsCount: number }).streamsCount); } });
    new Gauge({ name: 'concord_submits_in_flight', help: 'Submits being transformed or committed', registers,
      collect() { this.set(engine.submitsInFlight); } });

    const submitted = new Counter({ name: 'concord_ops_submitted_total', help: 'Ops submitted', labelNames: ['collection', 'kind'], registers });
    const rejected = new Counter({ name: 'concord_ops_rejected_total', help: 'Ops rejected, by error code', labelNames: ['collection', 'reason'], registers });
    const committed = new Counter({ name: 'concord_ops_committed_total', help: 'Ops committed', labelNames: ['collection', 'type'], registers });
    // Observed once per op: histograms without labels, so without prom-client's per-call label hashing.
    const commitLatency = new FastHistogram({ name: 'concord_submit_to_commit_seconds', help: 'From submit to commit', registers,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });
    // Observed once per op per subscriber: a histogram without prom-client's per-call label hashing.
    const deliveryLatency = new FastHistogram({ name: 'concord_commit_to_delivery_seconds', help: 'From commit to delivery to a subscriber (time to converge)', registers,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });
    const transforms = new FastHistogram({ name: 'concord_transforms_per_submit', help: 'Concurrent ops a submit was transformed over (contention)', registers,
      buckets: [0, 1, 2, 5, 10, 20, 50, 100] });
    this.slowdowns = new Counter({ name: 'concord_rate_limit_slowdowns_total', help: 'Messages delayed by a rate limit', labelNames: ['kind'], registers });

    engine.onSubmit((outcome) => {
      submitted.inc({ collection: label(outcome.collection), kind: outcome.kind });
      if (outcome.error) rejected.inc({ collection: label(outcome.collection), reason: outcome.error });
    });
    useSync(engine.backend, 'afterWrite', (request) => {
      committed.inc({ collection: label(request.collection), type: shortTypeName(request.snapshot?.type) ?? 'deleted' });
      commitLatency.observe(msSinceSubmitted(request.op, request.start) / 1000);
      transforms.observe(request.ops.length);
    });
    useSync(engine.backend, 'op', ({ op }) => {
      // Commit time, stamped by the engine on the op it publishes (ShareDB forwards only protocol fields to clients).
      const ms = msSinceCommitted(op);
      if (ms !== undefined) deliveryLatency.observe(ms / 1000);
    });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
