import { shortTypeName } from '@concord/shared';
import type { OpRecord, SnapshotMeta, SnapshotRecord } from '../sharedb-records.js';

/**
 * The latest state of recently written documents, kept in memory by `SqliteDb` so that a submit reads its snapshot
 * and the ops it must be transformed over without a query and without parsing JSON, and so that the next submit
 * to a document can start as soon as the previous one has been handed to the group commit (its state is then
 * "tentative": written to this cache, not yet to the file).
 *
 * SQLite's version check stays the authority: a commit built on a cached state that the file no longer has loses
 * that check like any stale commit. What the cache adds is a rule for commits built on a tentative state: each
 * tentative state carries the `Tentative` token of the commit that produced it, and when that commit fails, every
 * commit built on the state fails too instead of being written over a history that lacks its predecessor (see
 * `SqliteDb.flushCommits`).
 *
 * Bounded: at most `maxEntries` documents and `maxBytes` of JSON in all (least recently written dropped first), at
 * most `maxOps` recent ops and `maxOpsBytes` of them per document (ops not yet written always stay); documents whose
 * JSON is larger than `maxDataBytes` are not cached.
 */
/** The commit that produced a tentative state; `failed` once it is known not to have been written. */
export interface Tentative {
  failed: boolean;
}

export interface HotEntry {
  readonly collection: string;
  readonly id: string;
  /** Latest version (tentative when `pending` > 0). */
  v: number;
  type: string | null;
  /** Latest data. Shared with readers only for types whose apply never mutates (see SHARED_TYPES). */
  data: unknown;
  /**
   * `data` as JSON (null when undefined): what readers of the other types get a fresh copy from. Undefined for the
   * shared types after a commit, whose data is serialized only when the file's snapshot row is written.
   */
  dataJson: string | null | undefined;
  /** JSON length of `data`: exact when read or written, estimated between a commit and its write (see `measured`). */
  dataBytes: number;
  m: SnapshotMeta | null;
  /** The commit that produced the latest state while it is not written yet; undefined once it is. */
  tentative: Tentative | undefined;
  /** Pending commits that advanced this entry. */
  pending: number;
  /** Its ops were pruned or purged: the op list may hold ops the file no longer has. */
  dropped: boolean;
  /**
   * The ops at versions `opsFrom` .. `v - 1` are `ops[head..]`: shallow copies of the committed ops, made when they
   * were committed and never handed out (readers get shallow copies again). Their payloads (`op`, `create`, `m`) are
   * shared, as ShareDB's own fan-out shares them with every subscriber: nothing modifies them after a commit.
   */
  ops: OpRecord[];
  /** JSON length of each op in `ops`, and the sum over the live ones (`head` on). */
  opSizes: number[];
  opsBytes: number;
  opsFrom: number;
  /**
   * Index of the oldest live op in `ops` and `opSizes`: dropping old ops moves it (the slots before it hold a
   * placeholder, so nothing dropped stays in memory), and the arrays are compacted only now and then (see
   * COMPACT_AFTER), not shifted by one on every commit of a hot document.
   */
  head: number;
  /** JSON length of the data and of the ops held: what the entry counts against `maxBytes`. */
  bytes: number;
}

export interface HotDocsOptions {
  readonly maxEntries?: number;
  readonly maxOps?: number;
  readonly maxDataBytes?: number;
  readonly maxOpsBytes?: number;
  readonly maxBytes?: number;
}

/**
 * Marks a snapshot handed to a submit with the entry it was read from and the tentative commit it includes, if any
 * (ShareDB passes the same object, advanced by the op, to commit).
 */
export const HOT_BASE = Symbol('concord.hotBase');

export interface HotBase {
  readonly entry: HotEntry;
  readonly tentative: Tentative | undefined;
}

export type HotSnapshot = SnapshotRecord & { [HOT_BASE]?: HotBase };

export class HotDocs {
  private readonly entries = new Map<string, HotEntry>();
  private readonly maxEntries: number;
  private readonly maxOps: number;
  private readonly maxDataBytes: number;
  private readonly maxOpsBytes: number;
  private readonly maxBytes: number;
  private totalBytes = 0;

  constructor(options: HotDocsOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1000;
    this.maxOps = options.maxOps ?? 128;
    this.maxDataBytes = options.maxDataBytes ?? 1 << 20;
    this.maxOpsBytes = options.maxOpsBytes ?? 1 << 20;
    this.maxBytes = options.maxBytes ?? 64 << 20;
  }

  /** JSON bytes held by the entries in the map. */
  get bytes(): number {
    return this.totalBytes;
  }

  get(collection: string, id: string): HotEntry | undefined {
    return this.entries.get(keyOf(collection, id));
  }

  /** An entry for a snapshot just read from the file (nothing pending). */
  load(collection: string, id: string, snapshot: SnapshotRecord, dataJson: string | null): HotEntry | undefined {
    if (dataJson !== null && dataJson.length > this.maxDataBytes) return undefined;
    const entry: HotEntry = {
      collection, id, v: snapshot.v, type: snapshot.type, data: snapshot.data, dataJson, dataBytes: dataJson?.length ?? 0,
      m: snapshot.m, tentative: undefined, pending: 0, dropped: false, ops: [], opSizes: [], opsBytes: 0, opsFrom: snapshot.v,
      head: 0, bytes: dataJson?.length ?? 0,
    };
    const previous = this.entries.get(keyOf(collection, id));
    if (previous) this.forgetEntry(previous);
    this.entries.set(keyOf(collection, id), entry);
    this.totalBytes += entry.bytes;
    this.evict();
    return entry;
  }

  /** The snapshot a submit works on: a fresh object (ShareDB mutates it), tagged with its entry. */
  snapshotOf(entry: HotEntry): HotSnapshot {
    const shared = entry.dataJson === null || sharesData(entry.type);
    return {
      id: entry.id,
      v: entry.v,
      type: entry.type,
      data: shared ? entry.data : JSON.parse(entry.dataJson as string),
      m: entry.m === null ? null : { ...entry.m },
      [HOT_BASE]: { entry, tentative: entry.tentative },
    };
  }

  /**
   * Records a commit handed to the group commit: the entry moves to the committed state, tentatively, and the
   * returned token stands for that commit. Returns undefined, dropping the entry, when the commit was not built on
   * the entry's latest state (then the file's version check decides alone). `dataJson` undefined: the data of a
   * shared type, not serialized yet; its size is estimated until `measured` is told it. `op` is the committed op,
   * `opBytes` the length of its JSON.
   */
  advance(
    base: HotBase, fromV: number, snapshot: SnapshotRecord, dataJson: string | null | undefined, op: OpRecord,
    opBytes: number,
  ): Tentative | undefined {
    const { entry } = base;
    const key = keyOf(entry.collection, entry.id);
    const dataBytes = dataJson === undefined ? entry.dataBytes + opBytes : dataJson?.length ?? 0;
    if (this.entries.get(key) !== entry || entry.tentative !== base.tentative || entry.v !== fromV ||
      dataBytes > this.maxDataBytes) {
      this.forgetEntry(entry);
      return undefined;
    }
    const tentative: Tentative = { failed: false };
    entry.tentative = tentative;
    entry.v = snapshot.v;
    entry.type = snapshot.type;
    entry.data = snapshot.data;
    this.resize(entry, dataBytes - entry.dataBytes);
    entry.dataJson = dataJson;
    entry.dataBytes = dataBytes;
    entry.m = snapshot.m;
    entry.pending++;
    entry.ops.push(copyOp(op));
    entry.opSizes.push(opBytes);
    entry.opsBytes += opBytes;
    this.resize(entry, opBytes);
    // The oldest ops go first; pending ones stay (the file does not have them yet).
    const live = entry.ops.length - entry.head;
    let count = 0;
    let bytes = entry.opsBytes;
    while (live - count > entry.pending && (live - count > this.maxOps || bytes > this.maxOpsBytes)) {
      bytes -= entry.opSizes[entry.head + count++]!;
    }
    this.dropOldOps(entry, count);
    // Most recently written last: eviction takes the oldest.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.evict();
    return tentative;
  }

  /** The data of the commit `tentative` was serialized (its snapshot row written): its size replaces the estimate. */
  measured(entry: HotEntry, tentative: Tentative, dataJson: string | null): void {
    if (entry.tentative !== tentative) return; // a later commit's state is the entry's now
    this.resize(entry, (dataJson?.length ?? 0) - entry.dataBytes);
    entry.dataBytes = dataJson?.length ?? 0;
  }

  /**
   * A commit that advanced the entry was answered. Written: when it produced the latest state, that state is now
   * the file's. Not written: the token fails (and with it every commit built on it), and the entry is forgotten.
   */
  settle(entry: HotEntry, tentative: Tentative, written: boolean): void {
    entry.pending--;
    if (written) {
      if (entry.tentative === tentative) entry.tentative = undefined;
      return;
    }
    tentative.failed = true;
    this.forgetEntry(entry);
  }

  /**
   * Forgets a document (its ops were pruned or purged here): the next read goes to the file. While commits that
   * advanced it wait for the group commit, the file lacks their state, and a submit reading it would build on an
   * older version (and keep reading that version from the cache once they are written): then only the ops the file
   * has are forgotten, the state and the ops not yet written stay.
   */
  forget(collection: string, id: string): void {
    const entry = this.entries.get(keyOf(collection, id));
    if (!entry) return;
    if (entry.pending > 0) return this.dropOldOps(entry, entry.ops.length - entry.head - entry.pending);
    entry.dropped = true;
    this.forgetEntry(entry);
  }

  /** Forgets everything (another process wrote to the file). Pending commits keep their entries and tokens. */
  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }

  /**
   * Copies of the cached ops at versions from .. to - 1, or undefined when the cache does not hold them. A copy is
   * shallow: like the ops ShareDB fans out to subscribers, its `op` payload is shared and must not be modified.
   */
  opsOf(entry: HotEntry, from: number, to: number): OpRecord[] | undefined {
    if (entry.dropped || from < entry.opsFrom || to > entry.v) return undefined;
    const start = entry.head + from - entry.opsFrom;
    return entry.ops.slice(start, start + to - from).map((op) => ({ ...op }));
  }

  /** Drops the `count` oldest ops the entry holds. */
  private dropOldOps(entry: HotEntry, count: number): void {
    if (count <= 0) return;
    const { ops, opSizes } = entry;
    let dropped = 0;
    for (let i = 0; i < count; i++) {
      ops[entry.head] = DROPPED_OP; // released now, whatever the compaction waits for
      dropped += opSizes[entry.head++]!;
    }
    entry.opsBytes -= dropped;
    this.resize(entry, -dropped);
    entry.opsFrom = entry.v - (ops.length - entry.head);
    if (entry.head >= COMPACT_AFTER) {
      ops.splice(0, entry.head);
      opSizes.splice(0, entry.head);
      entry.head = 0;
    }
  }

  private forgetEntry(entry: HotEntry): void {
    const key = keyOf(entry.collection, entry.id);
    if (this.entries.get(key) !== entry) return;
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
  }

  /** Counts a change of an entry's size (against the total only while the entry is in the map). */
  private resize(entry: HotEntry, delta: number): void {
    entry.bytes += delta;
    if (this.entries.get(keyOf(entry.collection, entry.id)) === entry) this.totalBytes += delta;
  }

  /** Drops the least recently written entries with nothing pending until both bounds hold. */
  private evict(): void {
    for (const entry of this.entries.values()) {
      if (this.entries.size <= this.maxEntries && this.totalBytes <= this.maxBytes) return;
      if (entry.pending === 0) this.forgetEntry(entry);
    }
  }
}

/**
 * Types whose apply returns a new document and leaves the old one untouched (json1 copies the path it changes;
 * text-unicode documents are strings; rich-text composes into a new Delta whose pushed ops are deep copies). json0
 * applies in place, so each of its submits gets its own copy.
 */
const SHARED_TYPES = new Set(['json1', 'text-unicode', 'rich-text']);

/** Whether a committed snapshot's data of this type is never modified afterwards (so it may be shared and serialized late). */
export function sharesData(type: string | null): boolean {
  return SHARED_TYPES.has(shortTypeName(type) ?? '');
}

/** The arrays are compacted once this many slots before `head` are unused (one splice per this many drops). */
const COMPACT_AFTER = 32;
const DROPPED_OP: OpRecord = Object.freeze({ v: -1 }) as OpRecord;

/**
 * The committed op as the file has it (the fields its JSON keeps), taken at commit time: shallow, so what ShareDB
 * sets or deletes later on the object it publishes (`c`, `d`, `m`, the engine's commit stamp) does not reach it.
 */
function copyOp(op: OpRecord): OpRecord {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(op)) {
    const value = (op as unknown as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== 'function') copy[key] = value;
  }
  return copy as unknown as OpRecord;
}

function keyOf(collection: string, id: string): string {
  return `${collection}\n${id}`;
}
