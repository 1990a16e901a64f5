/**
 * Concord's own view of a run's latency, from its /metrics histograms (scraped before and after the run): where the
 * load generator's end-to-end figures include its own event loop (50 clients in one process), these count only the
 * server's part — submit received → committed, and committed → handed to each subscriber's socket.
 */
const HISTOGRAMS = { commit: 'concord_submit_to_commit_seconds', delivery: 'concord_commit_to_delivery_seconds' };

/** The cumulative bucket counts of each histogram, by upper bound in ms; null if /metrics did not answer. */
export async function scrapeLatency(httpUrl) {
  try {
    const response = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return null;
    const text = await response.text();
    const out = {};
    for (const [key, name] of Object.entries(HISTOGRAMS)) {
      out[key] = [];
      const re = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)$`, 'gm');
      for (const m of text.matchAll(re)) out[key].push({ leMs: m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000, count: Number(m[2]) });
    }
    return out;
  } catch {
    return null;
  }
}

/**
 * Per histogram, what the run added: the count, the share within 5 ms, and the bucket bound the 50th and 99th
 * percentile fall under (a histogram gives bounds, not exact figures).
 */
export function latencyBetween(before, after) {
  if (!before || !after) return null;
  const out = {};
  for (const key of Object.keys(HISTOGRAMS)) {
    const buckets = after[key].map((b, i) => ({ leMs: b.leMs, count: b.count - (before[key][i]?.count ?? 0) }));
    const total = buckets.at(-1)?.count ?? 0;
    const bound = (q) => (total === 0 ? null : buckets.find((b) => b.count >= q * total)?.leMs ?? null);
    const within5 = buckets.find((b) => b.leMs === 5)?.count;
    out[key] = { count: total, p50AtMostMs: bound(0.5), p99AtMostMs: bound(0.99), within5msShare: total && within5 !== undefined ? within5 / total : null };
  }
  return out;
}
