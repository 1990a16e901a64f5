/**
 * Op tracking for the load generator: who sent which op when, and who received it (acks and remote deliveries),
 * with latencies kept in bounded reservoirs.
 */
import { performance } from 'node:perf_hooks';

const now = () => performance.now();

// ---------------------------------------------------------------------------------------------------------------
// Samples and percentiles (a bounded reservoir, so memory stays flat on long runs)

export class Samples {
  constructor(cap = 200_000) {
    this.cap = cap;
    this.values = new Float64Array(cap);
    this.n = 0; // stored
    this.seen = 0;
  }
  add(v) {
    this.seen++;
    if (this.n < this.cap) this.values[this.n++] = v;
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.cap) this.values[j] = v;
    }
  }
  summary() {
    if (this.n === 0) return { count: this.seen, p50: null, p99: null, max: null };
    const sorted = this.values.slice(0, this.n).sort();
    const at = (q) => sorted[Math.min(this.n - 1, Math.floor(q * this.n))];
    return { count: this.seen, p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted[this.n - 1]) };
  }
}
export const round = (v) => Math.round(v * 1000) / 1000;

// ---------------------------------------------------------------------------------------------------------------
// Op tracking: who sent what when, and who received it

/**
 * Tracks ops by `src:seq`. `send` events give the send time; `receive` events give acks (the sender's own op echo
 * without `op`) and remote deliveries (an op from another connection). Counts only within [windowStart, windowEnd).
 */
export class Tracker {
  constructor(window) {
    this.window = window;
    this.sent = new Map(); // key → { t, instance, remaining }
    this.ack = new Samples();
    this.remote = new Samples();
    this.remoteSame = new Samples();
    this.remoteCross = new Samples();
    this.acks = 0;
    this.deliveries = 0;
    this.errors = 0;
    this.errorSamples = [];
    this.late = 0;
  }
  inWindow(t) {
    return t >= this.window.start && t < this.window.end;
  }
  attach(client, recipientsPerOp) {
    const { conn } = client;
    conn.on('send', (m) => {
      if (m.a !== 'op' || m.op === undefined) return;
      this.sent.set(`${conn.id}:${m.seq}`, { t: now(), instance: client.instance, remaining: recipientsPerOp, acked: false });
      if (this.sent.size > 500_000) this.sent.clear(); // bound: never reached in a sane run
    });
    conn.on('receive', (req) => {
      const m = req.data;
      if (!m || m.a !== 'op') return;
      const t = now();
      const key = `${m.src}:${m.seq}`;
      const entry = this.sent.get(key);
      if (m.src === conn.id) {
        // The ack of our own op (the server echoes src/seq without the op). Acks end the window count.
        if (m.error || !entry) return;
        if (this.inWindow(t)) {
          this.acks++;
          this.ack.add(t - entry.t);
        }
        entry.acked = true;
        if (entry.remaining <= 0) this.sent.delete(key);
        return;
      }
      if (m.op === undefined) return;
      if (!entry) return;
      if (this.inWindow(t)) {
        this.deliveries++;
        const dt = t - entry.t;
        this.remote.add(dt);
        (entry.instance === client.instance ? this.remoteSame : this.remoteCross).add(dt);
      }
      if (--entry.remaining <= 0 && entry.acked) this.sent.delete(key);
    });
  }
  error(err) {
    this.errors++;
    if (this.errorSamples.length < 5) this.errorSamples.push(String(err?.message ?? err));
  }
  result(windowMs, extra = {}) {
    const s = windowMs / 1000;
    return {
      windowSec: round(s),
      acked: this.acks,
      opsPerSec: Math.round(this.acks / s),
      deliveries: this.deliveries,
      deliveriesPerSec: Math.round(this.deliveries / s),
      ackMs: this.ack.summary(),
      remoteMs: this.remote.summary(),
      remoteSameInstanceMs: this.remoteSame.summary(),
      remoteCrossInstanceMs: this.remoteCross.summary(),
      errors: this.errors,
      errorSamples: this.errorSamples,
      late: this.late,
      ...extra,
    };
  }
}

