/**
 * Load where every op carries a unique marker (`<user:n>`): a list insert in a json0 document, a text insert (between
 * markers) in a text-unicode document. Stock ShareDB clients fire them without waiting for acks (a bounded number
 * outstanding); each client records what it submitted and what was acknowledged, so a test can check that every
 * acknowledged op is stored, and every op exactly once.
 */
import type { Doc } from 'sharedb/lib/client/index.js';
import type { StockClient } from '../../helpers/stock-client.js';
import { call } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';
import { mulberry32, deriveSeed, type Rng } from '../../integration/convergence/random.js';
import { connectAs, getDoc, type Instance, type StoredDoc } from './cluster.js';

export const COLLECTION = 'mp';
export type MarkerKind = 'json0' | 'text-unicode';

export interface MarkerDocSpec {
  readonly id: string;
  readonly kind: MarkerKind;
}

export interface LoadClient {
  /** The user (`sub`) and the marker prefix. */
  readonly name: string;
  readonly client: StockClient;
  /** The instance it is connected to now. */
  instance: Instance;
  readonly docs: Map<string, Doc>;
  readonly rng: Rng;
  /** Markers submitted, per document id. */
  readonly submitted: Map<string, string[]>;
  readonly acked: Set<string>;
  /** Ack time (ms since epoch) of each acknowledged marker. */
  readonly ackedAt: Map<string, number>;
  readonly failures: Array<{ marker: string; err: unknown }>;
  readonly errors: unknown[];
  next: number;
}

const MARKER = /<[a-z0-9-]+:\d+>/g;

export function initialData(kind: MarkerKind): unknown {
  return kind === 'json0' ? { items: [] } : '';
}

/** How often each marker occurs in a stored document. */
export function countMarkers(kind: MarkerKind, data: unknown): Map<string, number> {
  const found = kind === 'json0' ? ((data as { items: string[] }).items) : [...String(data).matchAll(MARKER)].map((m) => m[0]);
  const counts = new Map<string, number>();
  for (const marker of found) counts.set(marker, (counts.get(marker) ?? 0) + 1);
  return counts;
}

function markerOp(kind: MarkerKind, data: unknown, marker: string, rng: Rng): unknown {
  if (kind === 'json0') {
    const items = (data as { items: string[] }).items;
    return [{ p: ['items', rng.int(0, items.length)], li: marker }];
  }
  const text = String(data);
  // Between markers (never inside one): the start, or right after any marker.
  const boundaries = [0, ...[...text.matchAll(MARKER)].map((m) => (m.index ?? 0) + m[0].length)];
  const pos = rng.chance(0.3) ? 0 : rng.pick(boundaries);
  return pos === 0 ? [marker] : [pos, marker];
}

/** Connects `name` to `instance`, subscribed to every document (creating those that do not exist yet). */
export async function openLoadClient(instance: Instance, name: string, specs: MarkerDocSpec[], seed: number): Promise<LoadClient> {
  const client = await connectAs(instance, name);
  const lc: LoadClient = {
    name, client, instance, docs: new Map(), rng: mulberry32(deriveSeed(seed, 'load', hash(name))),
    submitted: new Map(), acked: new Set(), ackedAt: new Map(), failures: [], errors: [], next: 0,
  };
  client.connection.on('error', (err) => lc.errors.push(err));
  for (const spec of specs) {
    const doc = client.connection.get(COLLECTION, spec.id);
    doc.preventCompose = true;
    doc.on('error', (err) => lc.errors.push(err));
    await call((cb) => doc.subscribe(cb));
    if (!doc.type) {
      await call((cb) => doc.create(initialData(spec.kind) as never, spec.kind, cb)).catch((err: { code?: string }) => {
        if (err.code !== 'ERR_DOC_ALREADY_CREATED') throw err;
      });
    }
    lc.docs.set(spec.id, doc);
    lc.submitted.set(spec.id, []);
  }
  return lc;
}

function hash(text: string): number {
  let h = 0;
  for (const ch of text) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return h;
}

export function outstanding(lc: LoadClient): number {
  let count = 0;
  for (const list of lc.submitted.values()) count += list.length;
  return count - lc.acked.size - lc.failures.length;
}

/** Submits one marker op to document `spec` at the client's local state, without waiting. */
export function submitMarker(lc: LoadClient, spec: MarkerDocSpec, onAck?: (marker: string) => void): string {
  const doc = lc.docs.get(spec.id);
  if (!doc) throw new Error(`${lc.name} has no ${spec.id}`);
  const marker = `<${lc.name}:${lc.next++}>`;
  lc.submitted.get(spec.id)?.push(marker);
  const op = markerOp(spec.kind, doc.data, marker, lc.rng);
  const done = (err?: unknown): void => {
    if (err) {
      lc.failures.push({ marker, err });
      return;
    }
    lc.acked.add(marker);
    lc.ackedAt.set(marker, Date.now());
    onAck?.(marker);
  };
  try {
    doc.submitOp(op as never, {}, done);
  } catch (err) {
    done(err);
  }
  return marker;
}

export interface LoadPlan {
  specs: MarkerDocSpec[];
  /** Ops a client keeps unacknowledged at most. While it is offline its ops queue up to this bound. */
  maxOutstanding: number;
  minPauseMs: number;
  maxPauseMs: number;
  /** Checked before every op: the load ends when it returns true. */
  stop(): boolean;
}

/** Every client submits marker ops to random documents until `plan.stop()`. */
export async function runLoad(clients: LoadClient[], plan: LoadPlan): Promise<void> {
  await Promise.all(clients.map(async (lc) => {
    while (!plan.stop()) {
      await new Promise((resolve) => setTimeout(resolve, lc.rng.int(plan.minPauseMs, plan.maxPauseMs)));
      if (plan.stop()) break;
      if (outstanding(lc) >= plan.maxOutstanding) continue;
      submitMarker(lc, lc.rng.pick(plan.specs));
    }
  }));
}

export function totalAcked(clients: LoadClient[]): number {
  return clients.reduce((total, lc) => total + lc.acked.size, 0);
}

/**
 * Waits until no client has anything pending and every client holds every document at the stored version
 * (read over REST from `reader`); returns the stored documents.
 */
export async function waitConverged(
  clients: LoadClient[], specs: MarkerDocSpec[], reader: Instance, timeoutMs: number, what = 'every client idle at the stored version',
): Promise<Map<string, StoredDoc>> {
  return waitFor(what, async () => {
    for (const lc of clients) for (const doc of lc.docs.values()) if (doc.hasPending()) return undefined;
    const stored = new Map<string, StoredDoc>();
    for (const spec of specs) stored.set(spec.id, await getDoc(reader, COLLECTION, spec.id));
    for (const lc of clients) {
      for (const [id, doc] of lc.docs) if (doc.version !== stored.get(id)?.v) return undefined;
    }
    return stored;
  }, timeoutMs, 50);
}

/** Why a client is not converged yet (for failure messages). */
export function describeLag(clients: LoadClient[], stored: Map<string, StoredDoc> | undefined): string {
  return clients.map((lc) => `${lc.name}@${lc.instance.index}[${lc.client.connection.state}]: ` +
    [...lc.docs].map(([id, doc]) => `${id} v${doc.version}/${stored?.get(id)?.v ?? '?'}${doc.hasPending() ? ' pending' : ''}`).join(', '))
    .join('\n');
}
