/**
 * Recovering a user's edits when the server can no longer take them: a client that comes back after retention has
 * pruned the ops its pending edits would have to be transformed against gets ERR_HISTORY_PRUNED for them (and for
 * its resubscribe). A stock ShareDB client then rolls the edits back and stays on a document it cannot resubscribe
 * to. With recovery attached instead:
 *
 * - the rejection is taken before ShareDB acts on it; the document keeps the user's edits (and takes new ones) while
 *   the server's current document is fetched;
 * - text-unicode and rich-text: the edits are merged three-way (base: the server's document at the version they were
 *   made on, tracked by ServerShadow; local: the document with them; current: the server's now) and the merged change
 *   is left pending, to be sent at the current version; others' changes reach the editor as one remote op, so
 *   bindings keep carets and undo stacks. The callbacks of the original submits are called when it is acknowledged;
 * - json0 and json1 (and text whose base is not known): the document is reset to the current one and the edits are
 *   handed to `onConflict` with base, local and current, not applied; the submits' callbacks get the error. Without
 *   an `onConflict` handler the doc emits an 'error' carrying the conflict, so nothing is dropped silently;
 * - in every case the document is subscribed again at the current version. A client without pending edits whose
 *   resubscribe meets pruned history is simply brought up to date.
 */
import type { Connection, Doc } from 'sharedb/lib/client/index.js';
import { shortTypeName, type TypeName } from '@concord/shared';
import { Delta, type DeltaOp } from '../undo/delta.js';
import { asError } from '../connection/errors.js';
import type { TextOp } from 'ot-text-unicode';
import { callEach, deserialize, internals, queuedOps, type Callback, type OTTypeLike, type QueuedOp } from './doc-internals.js';
import { ServerShadow, type OpMessage } from './server-shadow.js';
import { composeTextOps, mergeRichText, mergeText, type ThreeWayMerge } from './three-way-merge.js';

/** Edits the server refused because their history was pruned, for the application to show (JSON types). */
export interface PrunedConflict<T = unknown> {
  readonly collection: string;
  readonly id: string;
  readonly type: TypeName | string;
  /** The server's document at `baseVersion`, the version the edits were made on; undefined if it is not known. */
  readonly base: T | undefined;
  readonly baseVersion: number;
  /** The document as this user had it: `base` with the edits. */
  readonly local: T;
  /** The server's document now (what the doc holds after recovery); undefined if it was deleted. */
  readonly current: T | undefined;
  readonly currentVersion: number;
  /** The refused ops, oldest first: the first applies to `base`, each next one to the result of the one before. */
  readonly pendingOps: unknown[];
  /** The server's ERR_HISTORY_PRUNED (its `details` name the versions that remain). */
  readonly error: Error;
}

/** Edits re-applied onto the current document by a three-way merge (text types). */
export interface PrunedMerge<T = unknown> {
  readonly collection: string;
  readonly id: string;
  readonly type: TypeName | string;
  readonly base: T;
  readonly baseVersion: number;
  readonly local: T;
  readonly current: T;
  readonly currentVersion: number;
  /** What the doc holds now: `current` with the edits. */
  readonly merged: T;
  /** The op submitted on `current` (empty when the edits were already there). */
  readonly op: unknown;
  readonly error: Error;
}

export interface RecoveryOptions<T = unknown> {
  /** JSON edits (or text edits that could not be merged) that were refused and not applied. */
  onConflict?: (conflict: PrunedConflict<T>) => void;
  /** Text edits that were merged into the current document and resubmitted. */
  onMerge?: (merge: PrunedMerge<T>) => void;
  /** Recovery itself failed (the current document could not be read, ...). Default: the doc's 'error' event. */
  onError?: (error: Error) => void;
}

/**
 * The `source` of the merged op recovery leaves pending (never emitted as an 'op' event: it is already in the doc).
 * Others' changes reach the doc as one op with source `false`, like any remote op.
 */
export const RECOVERY_SOURCE = Object.freeze({ prunedRecovery: true });

const PRUNED_CODES = new Set(['ERR_HISTORY_PRUNED', 'ERR_SUBMIT_TRANSFORM_OPS_NOT_FOUND']);
/** A read error ShareDB's client settles quietly (callbacks called without error, no 'error' event). */
const SILENT = { code: 'ERR_SNAPSHOT_READ_SILENT_REJECTION', message: 'history pruned: recovering' };

interface ErrorData {
  code?: unknown;
  message?: unknown;
  details?: unknown;
}

function isPruned(error: unknown): error is ErrorData {
  return typeof error === 'object' && error !== null && PRUNED_CODES.has(String((error as ErrorData).code));
}

function prunedError(data: ErrorData | undefined): Error {
  const message = typeof data?.message === 'string' ? data.message : 'the history of the document was pruned';
  return Object.assign(new Error(message), { code: 'ERR_HISTORY_PRUNED' }, data?.details !== undefined ? { details: data.details } : {});
}

interface Snapshot {
  v: number;
  type: string | null;
  data?: unknown;
}

/** Everything the doc held when its edits were refused. */
interface Refused {
  type: OTTypeLike;
  baseVersion: number;
  base: unknown;
  local: unknown;
  queued: QueuedOp[];
  edits: unknown[];
  callbacks: Callback[];
  /** A create or delete among the edits: never merged. */
  structural: boolean;
}

class DocRecovery {
  readonly registrations = new Set<RecoveryOptions<never>>();
  private readonly shadow: ServerShadow;
  private readonly detach: () => void;
  private recovering = false;
  private verifying = false;
  private resubscribe = false;
  private error: ErrorData | undefined;
  /** `src:seq` of ops recovery took out of the doc: late replies to them are dropped. */
  private readonly discarded = new Set<string>();
  private settleWaiters: Array<() => void> = [];

  constructor(readonly doc: Doc, private readonly hook: ConnectionHook) {
    this.shadow = new ServerShadow(doc);
    const sync = (): void => this.shadow.sync();
    const resync = (): void => this.shadow.sync(true);
    const invalidate = (): void => this.shadow.invalidate();
    const destroy = (): void => this.dispose();
    const listeners = [['load', resync], ['create', resync], ['no write pending', sync], ['op batch', sync],
      ['del', invalidate], ['destroy', destroy]] as const;
    for (const [event, fn] of listeners) doc.on(event, fn);
    this.detach = () => {
      for (const [event, fn] of listeners) doc.off(event, fn);
    };
    this.shadow.sync(true);
  }

  dispose(): void {
    this.registrations.clear();
    this.detach();
    this.hook.remove(this);
    this.resolveSettled(true);
  }

  // ----- messages, seen by the connection hook before ShareDB handles them -----

  /** An op message of this doc; true when ShareDB must not see it. */
  onOp(message: OpMessage): boolean {
    const key = `${message.src}:${message.seq}`;
    if (this.discarded.has(key)) return true;
    if (!isPruned(message.error)) {
      this.shadow.observe(message);
      return false;
    }
    const { inflightOp } = internals(this.doc);
    if (!inflightOp || inflightOp.seq !== message.seq) return false;
    // Keep the op in flight as far as ShareDB knows: it would roll it back (or discard everything pending).
    this.start(message.error);
    return true;
  }

  /** A subscribe or fetch reply of this doc refused with ERR_HISTORY_PRUNED; `certain` unless a bulk reply. */
  readRefused(action: string, error: ErrorData, certain: boolean): void {
    this.resubscribe ||= internals(this.doc).wantSubscribe || action === 's' || action === 'bs';
    if (this.recovering) return;
    if (certain) this.start(error);
    else void this.verify();
  }

  /** After every read reply and connection state change: wakes whoever waits for the subscribe in flight. */
  readsMaybeSettled(): void {
    queueMicrotask(() => this.resolveSettled(false));
  }

  // ----- recovery -----

  private start(error: ErrorData): void {
    if (this.recovering) return;
    this.recovering = true;
    this.error = error;
    this.recover().catch((err: unknown) => this.fail(err)).finally(() => {
      this.recovering = false;
    });
  }

  /**
   * A bulk resubscribe fails as a whole when one of its documents is too far behind, so this one may be fine:
   * ask again for it alone. If it is too far behind, that reply starts recovery.
   */
  private async verify(): Promise<void> {
    if (this.verifying) return;
    this.verifying = true;
    try {
      await this.settled();
      if (this.recovering || !this.registrations.size) return;
      await this.read();
    } catch (err) {
      this.fail(err);
    } finally {
      this.verifying = false;
    }
  }

  private async recover(): Promise<void> {
    const current = await this.fetchCurrent();
    await this.settled(); // a subscribe still in flight would swallow ours
    if (!this.registrations.size) return;
    this.finish(current);
    await this.read();
  }

  /** Subscribes again if the doc was subscribed (or reads it once): from the current version now. */
  private async read(): Promise<void> {
    const subscribe = this.resubscribe;
    this.resubscribe = false;
    if (!subscribe) return;
    await new Promise<void>((resolve, reject) => this.doc.subscribe((err) => (err ? reject(err) : resolve())));
  }

  private fetchCurrent(): Promise<Snapshot> {
    const { doc } = this;
    return new Promise((resolve, reject) => (doc.connection as Connection).fetchSnapshot(doc.collection, doc.id, null,
      (err, snapshot) => (err ? reject(err) : resolve(snapshot as unknown as Snapshot))));
  }

  private settled(): Promise<void> {
    if (!internals(this.doc).inflightSubscribe) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  private resolveSettled(always: boolean): void {
    if (!always && internals(this.doc).inflightSubscribe) return;
    for (const resolve of this.settleWaiters.splice(0)) resolve();
  }

  /** Synchronously: takes the refused edits out of the doc and puts the current document (merged or not) in. */
  private finish(current: Snapshot): void {
    const refused = this.takeRefused();
    const error = prunedError(this.error);
    if (!refused) {
      // The doc lost its type meanwhile (deleted, or rolled back by ShareDB): just load the current document.
      this.load(current);
      return;
    }
    const merge = this.tryMerge(refused, current);
    if (merge) return this.applyMerge(refused, current, merge, error);
    this.load(current);
    if (refused.queued.length === 0) return; // nothing was pending: the doc is simply up to date again
    callEach(refused.callbacks, error);
    const conflict: PrunedConflict = {
      collection: this.doc.collection,
      id: this.doc.id,
      type: shortTypeName(refused.type.uri) ?? refused.type.uri,
      base: refused.base,
      baseVersion: refused.baseVersion,
      local: refused.local,
      current: internals(this.doc).type ? this.doc.data : undefined,
      currentVersion: current.v,
      pendingOps: refused.edits,
      error,
    };
    const handlers = [...this.registrations].filter((r) => r.onConflict);
    if (handlers.length === 0) return void this.doc.emit('error', Object.assign(error, { conflict }) as never);
    for (const r of handlers) this.call(() => r.onConflict!(conflict as PrunedConflict<never>));
  }

  private takeRefused(): Refused | undefined {
    const doc = internals(this.doc);
    const queued = queuedOps(this.doc);
    for (const op of queued) if (op.src != null && op.seq != null) this.discarded.add(`${op.src}:${op.seq}`);
    doc.inflightOp = null;
    doc.pendingOps = [];
    if (!doc.type || doc.version == null) {
      callEach(queued.flatMap((op) => op.callbacks ?? []), prunedError(this.error));
      return undefined;
    }
    const edits = queued.filter((op) => op.op !== undefined).map((op) => op.op);
    return {
      type: doc.type,
      baseVersion: doc.version,
      base: queued.length === 0 ? doc.data : this.shadow.stateAt(doc.version),
      local: doc.data,
      queued,
      edits,
      callbacks: queued.flatMap((op) => op.callbacks ?? []).filter((cb): cb is Callback => typeof cb === 'function'),
      structural: queued.some((op) => op.create !== undefined || op.del !== undefined),
    };
  }

  private tryMerge(refused: Refused, current: Snapshot): ThreeWayMerge<unknown, unknown> | undefined {
    const { type, base, local, edits } = refused;
    if (base === undefined || refused.structural || current.type == null) return undefined;
    if (current.type !== type.uri && current.type !== type.name) return undefined;
    const now = deserialize(type, current.data);
    try {
      if (type.name === 'text-unicode') {
        return mergeText(base as string, local as string, now as string, composeTextOps(edits as TextOp[]));
      }
      if (type.name === 'rich-text') {
        const mine = edits.reduce<Delta>((all, op) => all.compose(new Delta(toOps(op))), new Delta());
        return mergeRichText(toOps(base), toOps(local), toOps(now), mine);
      }
    } catch {
      // The tracked base and the edits disagree: hand them over as a conflict rather than guess.
    }
    return undefined;
  }

  private applyMerge(refused: Refused, current: Snapshot, merge: ThreeWayMerge<unknown, unknown>, error: Error): void {
    const doc = internals(this.doc);
    const { type } = refused;
    const rich = type.name === 'rich-text';
    const wire = (op: unknown): unknown => (rich ? (op as Delta).ops : op);
    const now = deserialize(type, current.data);
    doc.version = current.v;
    this.shadow.reset(current.v, now);
    if (!isNoop(merge.currentOnLocal)) doc._otApply({ op: wire(merge.currentOnLocal) }, false);
    if (!sameData(doc.data, merge.merged)) {
      doc.data = merge.merged; // not expected: the op applied to local gives the merge; the merge is what counts
      this.doc.emit('load');
    }
    if (isNoop(merge.localOnCurrent)) callEach(refused.callbacks, null);
    else doc.pendingOps.push({ op: wire(merge.localOnCurrent), type, source: RECOVERY_SOURCE, callbacks: refused.callbacks });
    const event: PrunedMerge = {
      collection: this.doc.collection,
      id: this.doc.id,
      type: shortTypeName(type.uri) ?? type.uri,
      base: refused.base,
      baseVersion: refused.baseVersion,
      local: refused.local,
      current: now,
      currentVersion: current.v,
      merged: this.doc.data,
      op: wire(merge.localOnCurrent),
      error,
    };
    if (refused.queued.length > 0) {
      for (const r of this.registrations) if (r.onMerge) this.call(() => r.onMerge!(event as PrunedMerge<never>));
    }
    if (doc.pendingOps.length) this.doc.flush();
    else doc._emitNothingPending?.();
  }

  /** Resets the doc to `current` as ShareDB does after a hard rollback ('load'). */
  private load(current: Snapshot): void {
    const doc = internals(this.doc);
    doc.inflightOp = null;
    doc.pendingOps = [];
    doc.type = null;
    doc.data = undefined;
    doc.version = null;
    this.doc.ingestSnapshot({ v: current.v, type: current.type as string, data: current.data });
  }

  private fail(err: unknown): void {
    const error = asError(err);
    const handlers = [...this.registrations].filter((r) => r.onError);
    if (handlers.length === 0) return void this.doc.emit('error', error as never);
    for (const r of handlers) this.call(() => r.onError!(error));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      setTimeout(() => {
        throw err;
      }, 0);
    }
  }
}

function toOps(value: unknown): DeltaOp[] {
  if (Array.isArray(value)) return value as DeltaOp[];
  const ops = (value as { ops?: unknown } | null)?.ops;
  return Array.isArray(ops) ? (ops as DeltaOp[]) : [];
}

/** An empty text-unicode op or Delta. */
function isNoop(op: unknown): boolean {
  return toOps(op).length === 0;
}

function sameData(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return JSON.stringify(toOps(a)) === JSON.stringify(toOps(b));
}

// ----- one 'receive' listener per connection -----

interface ReadReply {
  a: 's' | 'f' | 'bs' | 'bf';
  c: string;
  d?: string;
  b?: string[] | Record<string, unknown>;
  data?: Record<string, { error?: unknown } | undefined>;
  error?: unknown;
}

class ConnectionHook {
  private readonly docs = new Map<string, Map<string, DocRecovery>>();
  private readonly onReceive = (request: { data: unknown }): void => this.receive(request);
  private readonly onState = (): void => {
    for (const byId of this.docs.values()) for (const recovery of byId.values()) recovery.readsMaybeSettled();
  };

  constructor(private readonly connection: Connection) {
    connection.on('receive', this.onReceive);
    connection.on('state', this.onState);
  }

  get(doc: Doc): DocRecovery | undefined {
    return this.docs.get(doc.collection)?.get(doc.id);
  }

  add(recovery: DocRecovery): void {
    const { collection, id } = recovery.doc;
    let byId = this.docs.get(collection);
    if (!byId) this.docs.set(collection, (byId = new Map()));
    byId.set(id, recovery);
  }

  remove(recovery: DocRecovery): void {
    const { collection, id } = recovery.doc;
    const byId = this.docs.get(collection);
    if (byId?.get(id) === recovery) byId.delete(id);
    if (byId?.size === 0) this.docs.delete(collection);
    if (this.docs.size === 0) {
      this.connection.off('receive', this.onReceive);
      this.connection.off('state', this.onState);
      hooks.delete(this.connection);
    }
  }

  private find(collection: unknown, id: unknown): DocRecovery | undefined {
    return typeof collection === 'string' && typeof id === 'string' ? this.docs.get(collection)?.get(id) : undefined;
  }

  private receive(request: { data: unknown }): void {
    const message = request.data as { a?: unknown } | null;
    if (typeof message !== 'object' || message === null) return;
    switch (message.a) {
      case 'op': {
        const m = message as OpMessage;
        if (this.find(m.c, m.d)?.onOp(m)) request.data = null;
        return;
      }
      case 's':
      case 'f': {
        const m = message as ReadReply;
        const recovery = this.find(m.c, m.d);
        if (!recovery) return;
        if (isPruned(m.error)) {
          recovery.readRefused(m.a, m.error, true);
          m.error = SILENT;
        }
        recovery.readsMaybeSettled();
        return;
      }
      case 'bs':
      case 'bf':
        return this.bulk(message as ReadReply);
      default:
    }
  }

  /** A bulk reply: refusals of our docs become quiet per-document ones; others' errors are left as they were. */
  private bulk(m: ReadReply): void {
    const byId = this.docs.get(m.c);
    if (!byId) return;
    if (m.error !== undefined && m.b) {
      const ids = Array.isArray(m.b) ? m.b : Object.keys(m.b);
      if (!isPruned(m.error) || !ids.some((id) => byId.has(id))) return;
      const error = m.error;
      m.data = Object.fromEntries(ids.map((id) => [id, { error: byId.has(id) ? SILENT : error }]));
      delete m.b;
      delete m.error;
      for (const id of ids) byId.get(id)?.readRefused(m.a, error, false);
    } else if (m.data) {
      for (const [id, entry] of Object.entries(m.data)) {
        const recovery = byId.get(id);
        if (!recovery || !entry || !isPruned(entry.error)) continue;
        recovery.readRefused(m.a, entry.error, false);
        entry.error = SILENT;
      }
    }
    for (const recovery of byId.values()) recovery.readsMaybeSettled();
  }
}

const hooks = new WeakMap<Connection, ConnectionHook>();

/**
 * Recovers `doc`'s pending edits when the server refuses them with ERR_HISTORY_PRUNED (see the module comment).
 * Attach it while the doc is up to date (openDoc does this itself): the merge base is tracked from then on.
 * Attaching to a doc twice shares one recovery; returns a function that removes this attachment's handlers (the
 * last one detaches recovery from the doc). Destroying the doc detaches it too.
 */
export function recoverPrunedEdits<T = unknown>(doc: Doc<T>, options: RecoveryOptions<T> = {}): () => void {
  const connection = doc.connection as Connection;
  let hook = hooks.get(connection);
  if (!hook) hooks.set(connection, (hook = new ConnectionHook(connection)));
  let recovery = hook.get(doc as Doc);
  if (!recovery) {
    recovery = new DocRecovery(doc as Doc, hook);
    hook.add(recovery);
  }
  const registration = { ...options } as RecoveryOptions<never>;
  recovery.registrations.add(registration);
  const attached = recovery;
  return () => {
    attached.registrations.delete(registration);
    if (attached.registrations.size === 0) attached.dispose();
  };
}
