/**
 * The server's document at the version a client's unacknowledged ops were made on: what a three-way merge needs as
 * its base once those ops can no longer be transformed. ShareDB only keeps the client's own view (the server's
 * document with the pending edits applied), so this keeps a confirmed snapshot plus the server's ops since, in
 * order: ops of others exactly as the server sent them (before ShareDB transforms them against the pending edits)
 * and the client's own ops as they were acknowledged.
 *
 * Cheap: a snapshot is taken only when nothing is pending (then the client's view is the server's document) and by
 * reference for the immutable types (text-unicode strings, rich-text Deltas, json1); only json0, which ShareDB
 * mutates in place, is copied. Between snapshots ops are only remembered; the base is computed when asked for.
 */
import type { Doc } from 'sharedb/lib/client/index.js';
import { internals, type OTTypeLike } from './doc-internals.js';

/** An `op` message of ShareDB's protocol as it arrives, before ShareDB handles it. */
export interface OpMessage {
  a: 'op';
  c: string;
  d: string;
  v: number;
  src?: string;
  seq?: number;
  op?: unknown;
  create?: unknown;
  del?: unknown;
  fixup?: unknown;
  error?: unknown;
}

/** After this many remembered ops a new snapshot is taken at the next moment nothing is pending. */
const COMPACT_AFTER = 32;

export class ServerShadow {
  private snapshot: { v: number; data: unknown } | undefined;
  /** The server's ops since the snapshot, one per version; null for an acknowledged no-op. */
  private steps: unknown[] = [];

  constructor(private readonly doc: Doc) {}

  /** The version the remembered state has reached. */
  private get version(): number | undefined {
    return this.snapshot ? this.snapshot.v + this.steps.length : undefined;
  }

  /** Takes a snapshot if nothing is pending and the remembered state is missing, off track, or long (or `force`). */
  sync(force = false): void {
    const doc = internals(this.doc);
    if (!doc.type || doc.version == null || this.doc.hasWritePending()) return;
    if (!force && this.snapshot && this.version === doc.version && this.steps.length < COMPACT_AFTER) return;
    this.snapshot = { v: doc.version, data: copyOf(doc.type, doc.data) };
    this.steps = [];
  }

  /** Forgets everything until the next snapshot. */
  invalidate(): void {
    this.snapshot = undefined;
    this.steps = [];
  }

  /** Starts over from a known server state. */
  reset(v: number, data: unknown): void {
    this.snapshot = { v, data };
    this.steps = [];
  }

  /** Every op message of the document, before ShareDB handles it. */
  observe(message: OpMessage): void {
    if (message.error || message.v !== this.version) return; // rejected, duplicate, or a gap ShareDB fills by fetching
    const { inflightOp } = internals(this.doc);
    const own = inflightOp && inflightOp.src != null && message.src === inflightOp.src && message.seq === inflightOp.seq;
    const step = own ? inflightOp : message;
    if (step.create !== undefined || step.del !== undefined || (own && message.fixup !== undefined)) return this.invalidate();
    this.steps.push('op' in step && step.op !== undefined ? step.op : null);
  }

  /** The server's document at `version`, if known. */
  stateAt(version: number): unknown {
    const type = internals(this.doc).type;
    if (!this.snapshot || !type || this.version !== version) return undefined;
    let data = copyOf(type, this.snapshot.data);
    for (const op of this.steps) if (op !== null) data = type.apply(data, op);
    return data;
  }
}

/** A snapshot the type will not change under us: json0 applies ops in place, the other types make new values. */
function copyOf(type: OTTypeLike, data: unknown): unknown {
  return type.name === 'json0' && data !== undefined ? structuredClone(data) : data;
}
