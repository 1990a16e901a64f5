/**
 * Document operations as promises, for REST and other server-side callers. Each call runs as a session's own
 * in-process ShareDB agent, so the same middleware (authorization, validation, author stamping) applies as on
 * the WebSocket. Errors are ConcordErrors with catalogue codes.
 */
import { randomUUID } from 'node:crypto';
import ShareDB from 'sharedb';
import type { Connection } from 'sharedb/lib/client/index.js';
import { ConcordError, shortTypeName, typeUri, type TypeName } from '@concord/shared';
import type { Engine } from './engine.js';
import type { Session } from './principal.js';
import type { StoredSnapshot, SubmittedOp } from './middleware.js';
import { toConcordError } from './error-mapping.js';
import type { AccessStore } from '../storage/access/access-store.js';
import { prunedError } from './history.js';

export interface DocState {
  v: number;
  type: TypeName;
  data: unknown;
}

export interface HistoryOp {
  v: number;
  op?: unknown;
  create?: { type: TypeName; data?: unknown };
  del?: true;
  src?: string;
  seq?: number;
  m: { ts?: number; user?: string };
}

type Callback<T> = (err: unknown, value?: T) => void;

/** How many versions before its `v` a retried op with its own src is looked for (see DocService.submit). */
const RETRY_LOOKBACK = 1000;
interface BackendCalls {
  fetch(agent: unknown, c: string, id: string, options: object, cb: Callback<StoredSnapshot>): void;
  fetchSnapshot(agent: unknown, c: string, id: string, v: number | null, cb: Callback<StoredSnapshot>): void;
  fetchSnapshotByTimestamp(agent: unknown, c: string, id: string, ts: number, cb: Callback<StoredSnapshot>): void;
  getOps(agent: unknown, c: string, id: string, from: number, to: number | null, o: object, cb: Callback<SubmittedOp[]>): void;
  submit(agent: unknown, c: string, id: string, op: SubmittedOp, o: object, cb: Callback<unknown>): void;
}

/** The op validators some OT types carry (json0 and json1: checkValidOp; text-unicode: checkOp). */
interface TypeChecks {
  checkValidOp?: (op: unknown) => unknown;
  checkOp?: (op: unknown) => unknown;
}

type Run<T> = (backend: BackendCalls, agent: unknown, cb: Callback<T>) => void;

export class DocService {
  private readonly engine: Engine;
  private readonly access: AccessStore | undefined;

  /** `access`: where owners and grants are changed (the authorizer's cache, so a purge frees the id at once). */
  constructor(engine: Engine, access: AccessStore | undefined = engine.storage.access) {
    this.engine = engine;
    this.access = access;
  }

  async create(session: Session, collection: string, id: string, type: TypeName, data: unknown): Promise<DocState> {
    // Created at the current version: 0 for a new id; after a delete or a purge the version count goes on (a create
    // at 0 would have to be transformed over the old document's log, and fail).
    const current = await this.call<StoredSnapshot>(session, (b, agent, cb) => b.fetch(agent, collection, id, {}, cb));
    if (current.type !== null) throw new ConcordError('ERR_DOC_ALREADY_CREATED', 'a document with this id exists');
    const v = await this.submit(session, collection, id, { v: current.v, create: { type: typeUri(type), data } });
    // The state the create made, as ShareDB's apply makes it, rather than read back: one may create where it may not
    // read (a drop box), and a read refused after the create would answer 403 for a document that now exists.
    const made = (ShareDB.types.map[typeUri(type)] as unknown as { create(data: unknown): unknown }).create(data);
    return { v, type, data: made };
  }

  async get(session: Session, collection: string, id: string): Promise<DocState> {
    const snapshot = await this.call<StoredSnapshot>(session, (b, agent, cb) => b.fetch(agent, collection, id, {}, cb));
    return toDocState(snapshot);
  }

  async getAtVersion(session: Session, collection: string, id: string, version: number): Promise<DocState> {
    // Checked against the current version first: adapters answer a version past the end with a bare
    // "Missing ops" error (no code), which would surface as a 500.
    const current = await this.call<StoredSnapshot>(session, (b, agent, cb) => b.fetch(agent, collection, id, {}, cb));
    if (current.v === 0) throw new ConcordError('ERR_DOC_NOT_FOUND', 'document not found');
    if (version > current.v) throw new ConcordError('ERR_VERSION_AHEAD', `document is at version ${current.v}`);
    // Served from the nearest milestone at or below `version` plus at most MILESTONE_INTERVAL ops (ShareDB's
    // fetchSnapshot with the milestone store); 410 with the nearest readable versions when retention or purge
    // removed the ops needed (a version that is itself a milestone needs none and is still served).
    const snapshot = await this.call<StoredSnapshot>(session, (b, agent, cb) =>
      b.fetchSnapshot(agent, collection, id, version, cb)).catch(async (err: unknown) => {
      if (err instanceof ConcordError && err.code === 'ERR_HISTORY_PRUNED') {
        throw await prunedError(this.engine.storage, collection, id, version);
      }
      throw err;
    });
    return toDocState(snapshot);
  }

  async getAtTime(session: Session, collection: string, id: string, timestamp: number): Promise<DocState> {
    const snapshot = await this.call<StoredSnapshot>(session, (b, agent, cb) =>
      b.fetchSnapshotByTimestamp(agent, collection, id, timestamp, cb));
    return toDocState(snapshot);
  }

  /** Ops with versions in [from, to), at most `limit` of them. */
  async ops(session: Session, collection: string, id: string, from: number, to: number | null): Promise<HistoryOp[]> {
    // Adapters refuse ranges past the current version ("Missing ops"), so the range ends at the document's version.
    const current = await this.call<StoredSnapshot>(session, (b, agent, cb) => b.fetch(agent, collection, id, {}, cb));
    if (current.v === 0) throw new ConcordError('ERR_DOC_NOT_FOUND', 'document not found');
    const end = to === null ? current.v : Math.min(to, current.v);
    if (from >= end) return [];
    const ops = await this.call<SubmittedOp[]>(session, (b, agent, cb) =>
      b.getOps(agent, collection, id, from, end, { opsOptions: { metadata: true } }, cb));
    return ops.map(toHistoryOp);
  }

  /**
   * Submits an op (or create / delete) and resolves with the version after it. An op with its own `src` (REST's
   * Idempotency-Key) that is already in the log is not applied again: the answer is the version after its first
   * application. ShareDB finds it among the ops from the op's `v` on; a retry sent with a later `v` (the client read
   * the document again) is looked for in the RETRY_LOOKBACK versions before it.
   */
  async submit(session: Session, collection: string, id: string, op: SubmittedOp): Promise<number> {
    const keyed = op.src !== undefined && op.op !== undefined;
    if (keyed && op.v > 0) {
      const earlier = await this.appliedAt(session, collection, id, op, Math.max(0, op.v - RETRY_LOOKBACK), op.v);
      if (earlier !== undefined) return earlier + 1;
    }
    // Every stored op names its source; REST ops without an Idempotency-Key get a one-off src.
    const submitted: SubmittedOp = op.src === undefined ? { ...op, src: `rest-${randomUUID()}`, seq: 1 } : { ...op };
    try {
      await this.callRaw<unknown>(session, (b, agent, cb) => b.submit(agent, collection, id, submitted, {}, cb));
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      // An op "ahead" of a document that was never created is an op on a missing document: 404, not 400.
      if (code === 'ERR_OP_VERSION_NEWER_THAN_CURRENT_SNAPSHOT' && !op.create) await this.get(session, collection, id);
      // An OT type throws plain errors (no code) when it transforms a malformed op: a 400, not a 500.
      if (code === undefined && op.op !== undefined) await this.checkOpShape(session, collection, id, op.op);
      // Already committed under the same src/seq (an idempotent retry) or transformed to nothing: not a failure.
      if (code !== 'ERR_OP_ALREADY_SUBMITTED' && code !== 'ERR_NO_OP') throw toConcordError(err);
      if (code === 'ERR_NO_OP') return (await this.get(session, collection, id)).v;
    }
    // ShareDB moves `v` through the ops it transforms over, up to the duplicate when it finds one.
    return submitted.v + 1;
  }

  /** The version at which the op with `op`'s src and seq was applied, among versions [from, to); undefined if not. */
  private async appliedAt(session: Session, collection: string, id: string, op: SubmittedOp, from: number, to: number): Promise<number | undefined> {
    try {
      const ops = await this.ops(session, collection, id, from, to);
      return ops.find((o) => o.src === op.src && o.seq === op.seq)?.v;
    } catch (err) {
      // Retention or a purge removed the start of the range: look among the ops still stored.
      const oldest = err instanceof ConcordError && err.code === 'ERR_HISTORY_PRUNED' ? err.details?.['oldest'] : undefined;
      if (typeof oldest === 'number' && oldest > from && oldest < to) return this.appliedAt(session, collection, id, op, oldest, to);
      return undefined; // no document, or its history not readable: the submit answers for itself
    }
  }

  /**
   * Purge: removes the document's content, its ops and its milestones. Needs the 'purge' permission. A live document
   * is first deleted by an ordinary ShareDB delete (so subscribers see it deleted, and a commit racing the purge
   * loses the version check); then every op below that delete and every milestone up to it is removed. What stays
   * is the tombstone: the version counter and the one delete op, without content. A later create goes on from the
   * next version, so a stale client's op, made at an older version, needs ops that are gone (ERR_HISTORY_PRUNED),
   * or meets the delete (ShareDB's ERR_DOC_WAS_DELETED): it never lands on the new document.
   */
  async purge(session: Session, collection: string, id: string): Promise<void> {
    const { history } = this.engine.storage;
    if (!history) throw new ConcordError('ERR_INTERNAL', 'this storage cannot purge');
    const allowed = await this.engine.policies.authorizer.authorize({ principal: session.principal, action: 'purge', collection, id });
    if (!allowed) throw new ConcordError('ERR_FORBIDDEN', `purge not allowed on ${collection}/${id}`);
    const current = await this.call<StoredSnapshot>(session, (b, agent, cb) => b.fetch(agent, collection, id, {}, cb));
    if (current.v === 0) throw new ConcordError('ERR_DOC_NOT_FOUND', 'document not found');
    let tombstone = current.v - 1; // already deleted (or purged): its last op is the delete
    if (current.type !== null) {
      const del: SubmittedOp = { v: current.v, del: true, src: `purge-${randomUUID()}`, seq: 1 };
      await this.callRaw<unknown>(session, (b, agent, cb) => b.submit(agent, collection, id, del, { concordPurge: true }, cb))
        .catch((err: unknown) => {
          throw toConcordError(err);
        });
      tombstone = del.v; // transformed to the version it was committed at
    }
    await history.purge(collection, id, tombstone);
    // Owner and grants go with the document: a later document under this id belongs to its own creator.
    await this.access?.remove(collection, id);
    // The deleted state as a milestone: reads of a later document under this id start from it, not from ops that
    // are gone. It holds no content.
    const deleted = { id, v: tombstone + 1, type: null, data: undefined, m: { mtime: Date.now() } };
    await new Promise<void>((resolve, reject) => this.engine.storage.milestoneDb.saveMilestoneSnapshot(collection,
      deleted as unknown as ShareDB.Snapshot, (err?: unknown) => (err ? reject(toConcordError(err)) : resolve())));
  }

  /** Throws ERR_OP_INVALID when the document's type rejects the op's shape (json0, json1, text-unicode check it). */
  private async checkOpShape(session: Session, collection: string, id: string, op: unknown): Promise<void> {
    const snapshot = await this.call<StoredSnapshot>(session, (b, agent, cb) => b.fetch(agent, collection, id, {}, cb));
    const type = snapshot.type ? ShareDB.types.map[snapshot.type] as TypeChecks | undefined : undefined;
    const check = type?.checkValidOp ?? type?.checkOp;
    if (!check) return;
    let valid: unknown;
    try {
      valid = check.call(type, op);
    } catch (err) {
      throw new ConcordError('ERR_OP_INVALID', (err as Error).message);
    }
    if (valid === false) throw new ConcordError('ERR_OP_INVALID', 'the op is malformed for this type');
  }

  /** Runs a backend call as the session; errors become catalogue errors. */
  private call<T>(session: Session, run: Run<T>): Promise<T> {
    return this.callRaw(session, run).catch((err: unknown) => {
      throw toConcordError(err);
    });
  }

  /** Runs a backend call as the session's own in-process agent, converting its callback to a promise. */
  private async callRaw<T>(session: Session, run: Run<T>): Promise<T> {
    const connection: Connection = this.engine.connect(session);
    try {
      return await new Promise<T>((resolve, reject) => {
        try {
          run(this.engine.backend as unknown as BackendCalls, (connection as unknown as { agent: unknown }).agent,
            (err, value) => (err ? reject(err) : resolve(value as T)));
        } catch (err) {
          reject(err);
        }
      });
    } finally {
      connection.close();
    }
  }
}

function toDocState(snapshot: StoredSnapshot): DocState {
  const type = shortTypeName(snapshot.type);
  if (!type) throw new ConcordError('ERR_DOC_NOT_FOUND', 'document not found');
  return { v: snapshot.v, type, data: snapshot.data };
}

function toHistoryOp(op: SubmittedOp): HistoryOp {
  const out: HistoryOp = { v: op.v, m: { ts: op.m?.ts, user: op.m?.user } };
  if (op.src !== undefined) out.src = op.src;
  if (op.seq !== undefined) out.seq = op.seq;
  if (op.create) out.create = { type: shortTypeName(op.create.type) ?? 'json0', data: op.create.data };
  else if (op.del) out.del = true;
  else out.op = op.op;
  return out;
}
