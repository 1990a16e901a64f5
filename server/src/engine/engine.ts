/**
 * The engine: a ShareDB backend built from a storage, a pub/sub and the policies, with the middleware that enforces
 * them. It knows nothing of HTTP or WebSockets: transports hand it a duplex object stream per client (`open`) or
 * use an in-process connection (`connect`).
 *
 * Lifecycle: construct, serve, then `close()`: it waits for submits already in flight to commit, then closes the
 * pub/sub and the storage.
 */
import type { Duplex } from 'node:stream';
import ShareDB from 'sharedb';
import type { Connection } from 'sharedb/lib/client/index.js';
import { ConcordError, DEFAULT_LIMITS, registerTypes, toError, type TypeRegistry } from '@concord/shared';
import type { Storage } from '../storage/storage.js';
import { keepStreamIdsNamed, type PubSubAdapter } from '../pubsub/pubsub.js';
import { createMemoryPubSub } from '../pubsub/memory.js';
import { ALLOW_ALL, onDecision, type Policies } from './policies.js';
import { use, useSync, sessionOf, type EngineAgent, type StoredSnapshot, type SubmittedOp } from './middleware.js';
import type { Session } from './principal.js';
import { ANONYMOUS } from './principal.js';
import { EngineStats } from './engine-stats.js';
import { ConnectionIds } from './connection-ids.js';
import { GapRecovery } from './gap-recovery.js';
import { DocQueue } from './doc-queue.js';
import { FanOutOrder } from './ordered-fan-out.js';
import { DuplicateOpFilter } from './duplicate-ops.js';
import { checkStaleness, DEFAULT_MAX_VERSIONS_BEHIND, noteCommitted, submitFinished } from './staleness.js';
import { engineDb } from './engine-db.js';
import { PresenceLiveness } from './presence-liveness.js';
import { withdrawPresenceOnClose } from './presence-on-close.js';
import { WithdrawalEcho } from './withdrawal-echo.js';
import { checkQuery } from '../policy/query-policy.js';
import { admitPresence } from '../policy/presence-policy.js';
import { checkRequestFields, checkRequestSize } from './request-limits.js';
import { isMissingOps, prunedError } from './history.js';
import { storageFailure } from './error-mapping.js';
import { authorizeSubmit, checkCreate, validateSubmit } from './submit-checks.js';
import { Retention, type RetentionOptions } from './retention.js';
import { stampSubmitted } from './op-clock.js';

export interface EngineOptions {
  storage: Storage;
  /** Default: in-process pub/sub. */
  pubsub?: PubSubAdapter;
  /** Default: allow everything. */
  policies?: Partial<Policies>;
  /**
   * Key for connection ids (see ConnectionIds); every instance of a deployment must use the same one so that a
   * client can resume its id on another instance. Default: a fixed label, which still binds ids to principals.
   */
  connectionIdKey?: string;
  /** Request-size limits; each defaults to the shared DEFAULT_LIMITS. */
  limits?: Partial<EngineLimits>;
  /** Called with errors ShareDB cannot report to a client (default: ShareDB's logger). */
  onError?: (err: Error) => void;
  /** Op-log retention per collection (see retention.ts); default none: every op is kept. */
  retention?: RetentionOptions;
}

/** What a finished submit reports to observers (metrics, logs). */
export interface SubmitOutcome {
  readonly collection: string;
  readonly id: string;
  /** `create`, `edit` or `del`. */
  readonly kind: 'create' | 'edit' | 'del';
  /** The connection id of the submitter (the op's src) and the version the op was made at. */
  readonly src?: string;
  readonly v?: number;
  /** The error code when the submit failed (ERR_NO_OP and ERR_OP_ALREADY_SUBMITTED count as acknowledged). */
  readonly error?: string;
  readonly session?: Session;
}

export interface EngineLimits {
  maxQueryLimit: number;
  maxBulkSize: number;
  maxSubscriptions: number;
}

type SubmitCallback = (err: unknown, ...rest: unknown[]) => void;
type SubmitFn = (agent: unknown, index: string, id: string, op: unknown, options: unknown, cb: SubmitCallback) => void;

const INTERNAL_SESSION: Session = { principal: ANONYMOUS, remoteAddress: '127.0.0.1', transport: 'internal' };

export class Engine {
  readonly backend: ShareDB;
  readonly storage: Storage;
  readonly pubsub: PubSubAdapter;
  readonly policies: Policies;
  readonly stats = new EngineStats();
  /** Re-delivers ops missed during a pub/sub outage; `replay()` after the pub/sub reconnects. */
  readonly gaps: GapRecovery;
  /** Op-log retention, when configured: `sweep()` / `prune(collection, id)` on demand. */
  readonly retention: Retention | undefined;
  /** Presence of the other instances; `resync()` after the pub/sub reconnects. */
  readonly liveness: PresenceLiveness;
  private readonly withdrawals: WithdrawalEcho;
  private readonly ids: ConnectionIds;
  private readonly docQueue = new DocQueue();
  private readonly fanOutOrder = new FanOutOrder();
  private readonly duplicateOps = new DuplicateOpFilter();
  private readonly limits: EngineLimits;
  private readonly submitObservers: Array<(outcome: SubmitOutcome) => void> = [];
  private readonly reportError: (err: Error) => void;
  private inFlight = 0;
  private drained: Array<() => void> = [];
  private closing: Promise<void> | undefined;

  constructor(options: EngineOptions) {
    registerTypes(ShareDB.types as unknown as TypeRegistry);
    this.storage = options.storage;
    this.pubsub = options.pubsub ?? createMemoryPubSub();
    keepStreamIdsNamed(this.pubsub.pubsub);
    this.policies = { ...ALLOW_ALL, ...options.policies };
    this.limits = {
      maxQueryLimit: DEFAULT_LIMITS.maxQueryLimit,
      maxBulkSize: DEFAULT_LIMITS.maxBulkSize,
      maxSubscriptions: DEFAULT_LIMITS.maxSubscriptions,
      ...options.limits,
    };
    this.ids = new ConnectionIds(options.connectionIdKey ?? 'concord-connection-id');
    this.backend = new ShareDB({
      db: engineDb(this.storage, DEFAULT_MAX_VERSIONS_BEHIND),
      pubsub: this.pubsub.pubsub,
      milestoneDb: this.storage.milestoneDb,
      presence: true,
      doNotForwardSendPresenceErrorsToClient: true,
      // ShareDB would otherwise write a snapshot and an op for ops that change nothing (json0 and text-unicode
      // only; the apply middleware covers json1 and rich-text).
      doNotCommitNoOps: true,
      errorHandler: (err: Error) => options.onError?.(err),
    } as ShareDB.ShareDBOptions);
    // ShareDB publishes and saves milestones without a callback and reports failures as 'error' events: without
    // listeners, one Redis hiccup or full disk would end the process. The op itself is already committed then.
    const report = (this.reportError = (err: Error): void => options.onError?.(err));
    (this.pubsub.pubsub as unknown as NodeJS.EventEmitter).on('error', report);
    (this.storage.milestoneDb as unknown as NodeJS.EventEmitter).on('error', report);
    this.fanOutOrder.install(this.backend);
    this.gaps = new GapRecovery(this.backend);
    this.liveness = new PresenceLiveness(this.backend);
    if (this.pubsub.kind !== 'memory') this.liveness.start();
    this.withdrawals = new WithdrawalEcho(this.backend);
    this.trackInFlightSubmits();
    this.pipelineCommits();
    this.installMiddleware();
    this.retention = options.retention ? new Retention(this.backend, this.storage, options.retention, report) : undefined;
    this.retention?.start();
  }

  /** Serves one client over a duplex object stream of ShareDB protocol messages. */
  open(stream: Duplex, session: Session): EngineAgent {
    return this.backend.listen(stream, session) as unknown as EngineAgent;
  }

  /** An in-process ShareDB client acting as the given session (the server itself by default). */
  connect(session: Session = INTERNAL_SESSION): Connection {
    return this.backend.connect(undefined, session);
  }

  /** Submits still being transformed or committed. */
  get submitsInFlight(): number {
    return this.inFlight;
  }

  /** Resolves once no submit is in flight. */
  drain(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** Waits for in-flight commits, then closes pub/sub and storage. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.liveness.stop();
      await this.retention?.stop();
      await this.drain();
      await this.pubsub.close();
      await this.storage.close();
    })();
    return this.closing;
  }

  /** Counts submits from arrival to their final callback, so that `close()` can let them finish. */
  private trackInFlightSubmits(): void {
    const backend = this.backend as unknown as { submit: SubmitFn };
    const submit = this.ackOnlyWhatIsStored(this.reportPrunedSubmits(backend.submit.bind(this.backend)));
    backend.submit = (agent, index, id, op, options, cb) => {
      this.inFlight++;
      this.stats.submitted++;
      stampSubmitted(op as object);
      this.docQueue.run(`${index}\n${id}`, (done) => submit(agent, index, id, op, options, (raw, ...rest) => {
        done();
        submitFinished(op as object);
        const err = storageFailure(raw) ?? raw;
        const code = (err as { code?: unknown } | null)?.code;
        this.notifySubmit(agent as EngineAgent, index, id, op as SubmittedOp, err, code);
        if (code === 'ERR_NO_OP' || code === 'ERR_OP_ALREADY_SUBMITTED') this.stats.acknowledgedWithoutCommit++;
        else if (err) this.stats.rejected++;
        if (--this.inFlight === 0) for (const resolve of this.drained.splice(0)) resolve();
        cb(err, ...rest); // sends the ack (or the error) at once
        this.fanOutOrder.answered(agent as object, index, id);
      }));
    };
  }

  /**
   * With a storage that caches the state a commit leaves before it is written (SQLite), the next submit to the same
   * document starts as soon as the previous one is handed to the group commit, so that a hot document's submits of
   * one event-loop turn are committed in one transaction and delivered together. Only when this process is the only
   * writer (in-process pub/sub): with several processes, a commit that loses the version check to another process
   * would fail the submits built on it instead of letting them be transformed and retried.
   */
  private pipelineCommits(): void {
    const db = this.storage.db as { onCommitIssued?: ((collection: string, id: string) => void) | undefined };
    if (this.pubsub.kind !== 'memory' || !('onCommitIssued' in db)) return;
    db.onCommitIssued = (collection, id) => this.docQueue.releaseEarly(`${collection}\n${id}`);
  }

  /**
   * ShareDB acknowledges some submits without a commit (ERR_OP_ALREADY_SUBMITTED: a resent op found among the ops it
   * was transformed over; ERR_NO_OP: an op transformed into a no-op), from the snapshot and ops they read. With
   * pipelined commits those may include a commit not yet written: such a submit is acknowledged only once that commit
   * is, and fails like the commits built on it when it is not (a resent op's first submit found the disk full, say).
   * A resent op depends only on its first submit, though, not on the commits after it that the resend also read:
   * when one of those is not written, the resend is still acknowledged if the file has the op.
   */
  private ackOnlyWhatIsStored(submit: SubmitFn): SubmitFn {
    const db = this.storage.db as {
      unwrittenSubmitState?: (snapshot: unknown) => Error | undefined;
      getCommittedOpVersion(c: string, id: string, snapshot: unknown, op: unknown, o: unknown, cb: (err: unknown, v?: number) => void): void;
    };
    if (!db.unwrittenSubmitState) return submit;
    return (agent, index, id, op, options, cb) => submit(agent, index, id, op, options, (err, ...rest) => {
      const code = (err as { code?: unknown } | null)?.code;
      if (code !== 'ERR_OP_ALREADY_SUBMITTED' && code !== 'ERR_NO_OP') return cb(err, ...rest);
      const request = rest[1] as { collection?: string; snapshot?: unknown } | undefined;
      const unwritten = db.unwrittenSubmitState?.(request?.snapshot);
      if (!unwritten || code === 'ERR_NO_OP') return cb(unwritten ?? err, ...rest);
      db.getCommittedOpVersion(request?.collection ?? index, id, request?.snapshot, op, null, (lookupErr, version) =>
        cb(!lookupErr && typeof version === 'number' ? err : unwritten, ...rest));
    });
  }

  /**
   * An op too far behind to be transformed (the ops it needs were pruned or purged: ShareDB's
   * ERR_SUBMIT_TRANSFORM_OPS_NOT_FOUND or an adapter's "Missing ops") fails with ERR_HISTORY_PRUNED, over the
   * WebSocket too, so that a client can tell it from other rejections and recover its user's work.
   */
  private reportPrunedSubmits(submit: SubmitFn): SubmitFn {
    return (agent, index, id, op, options, cb) => submit(agent, index, id, op, options, (err, ...rest) => {
      if (!isMissingOps(err) || err instanceof ConcordError) return cb(err, ...rest);
      const v = (op as SubmittedOp).v;
      void prunedError(this.storage, index, id, v, `the op was made at version ${v}, older than the op log of ` +
        `${index}/${id} still holds; fetch the document and reapply the change`).then((mapped) => cb(mapped, ...rest));
    });
  }

  /** Registers an observer of every finished submit (an exception it throws is reported to `onError`). */
  onSubmit(observer: (outcome: SubmitOutcome) => void): void {
    this.submitObservers.push(observer);
  }

  private notifySubmit(agent: EngineAgent, collection: string, id: string, op: SubmittedOp, err: unknown, code: unknown): void {
    if (this.submitObservers.length === 0) return;
    const acknowledged = !err || code === 'ERR_NO_OP' || code === 'ERR_OP_ALREADY_SUBMITTED';
    this.notify({
      collection, id, kind: op.create ? 'create' : op.del ? 'del' : 'edit', src: op.src, v: op.v,
      ...(acknowledged ? {} : { error: typeof code === 'string' ? code : 'ERR_INTERNAL' }),
      session: sessionOf(agent),
    });
  }

  /**
   * An op refused as it arrived (a bad name or type, a forged src, a malformed field) never reaches ShareDB's submit:
   * it is reported here, so that metrics, logs and the live status count it like any other rejected submit.
   */
  private refusedOnArrival(agent: EngineAgent, data: Record<string, unknown>, err: unknown): void {
    this.stats.submitted++;
    this.stats.rejected++;
    if (this.submitObservers.length === 0) return;
    const code = (err as { code?: unknown } | null)?.code;
    const { c: collection, d: id, v } = data;
    this.notify({
      collection: typeof collection === 'string' ? collection : '', id: typeof id === 'string' ? id : '',
      kind: data['create'] ? 'create' : data['del'] ? 'del' : 'edit',
      // The connection's own id: the src the message carried may be the forgery it was refused for.
      src: agent.src ?? agent.clientId, ...(typeof v === 'number' ? { v } : {}),
      error: typeof code === 'string' ? code : 'ERR_INTERNAL',
      session: sessionOf(agent),
    });
  }

  private notify(outcome: SubmitOutcome): void {
    // Observers run before the ack is sent: one that throws must not cost the client its ack.
    for (const observer of this.submitObservers) {
      try {
        observer(outcome);
      } catch (err) {
        this.reportError(toError(err));
      }
    }
  }

  private installMiddleware(): void {
    const { backend } = this;
    useSync(backend, 'connect', ({ agent, req }) => {
      const session = req ?? INTERNAL_SESSION;
      agent.custom.session = session;
      // The id a fresh connection gets in its handshake reply, and the src of its ops.
      (agent as { clientId: string }).clientId = this.ids.issue(session.principal.sub);
      this.duplicateOps.install(agent);
      withdrawPresenceOnClose(agent);
    });
    useSync(backend, 'receive', ({ agent, data }) => {
      try {
        this.bindIdentity(agent, data);
        checkRequestSize(agent, data, this.limits);
        checkRequestFields(data);
        checkCreate(data);
      } catch (err) {
        if (data['a'] === 'op') this.refusedOnArrival(agent, data, err);
        throw err;
      }
      this.duplicateOps.received(agent, data);
      if (data['a'] === 'pr' && typeof data['ch'] === 'string') this.withdrawals.answer(agent, data['ch']);
    });
    useSync(backend, 'query', (request) => {
      request.query = checkQuery(request.query, { maxLimit: this.limits.maxQueryLimit });
    });
    use(backend, 'submit', (request) => {
      checkStaleness(request);
      return authorizeSubmit(request, this.policies.authorizer);
    });
    useSync(backend, 'apply', (request) => validateSubmit(request, this.policies.validator));
    useSync(backend, 'commit', (request) => this.fanOutOrder.committing(request.agent, request.collection, request.id, request.op.v));
    useSync(backend, 'afterWrite', (request) => {
      this.stats.recordCommit(request.ops.length);
      noteCommitted(request);
    });
    // Synchronous while the authorizer decides at once (see onDecision); from its first promise on, one snapshot
    // after the other.
    use(backend, 'readSnapshots', (request) => {
      const principal = sessionOf(request.agent)?.principal ?? ANONYMOUS;
      const { authorizer } = this.policies;
      // A document that does not exist (never created, or deleted) holds nothing to read: who may create it may
      // see that, and subscribe to create it next (the ops that follow are checked again on the way out).
      const mayRead = (snapshot: StoredSnapshot): boolean | Promise<boolean> => {
        const access = { principal, collection: request.collection, id: snapshot.id };
        return onDecision(authorizer.authorize({ ...access, action: 'read' }), (allowed) =>
          allowed || snapshot.type !== null ? allowed : authorizer.authorize({ ...access, action: 'create' }));
      };
      const settle = (snapshot: StoredSnapshot, allowed: boolean): void => {
        if (!allowed) request.rejectSnapshotRead(snapshot, new ConcordError('ERR_FORBIDDEN', 'read not allowed'));
      };
      const checkFrom = (first: number): Promise<void> | void => {
        for (let i = first; i < request.snapshots.length; i++) {
          const snapshot = request.snapshots[i]!;
          if (request.snapshotType === 'current') this.gaps.note(request.collection, snapshot.id, snapshot.v);
          const decision = mayRead(snapshot);
          if (typeof decision !== 'boolean') return decision.then((allowed) => (settle(snapshot, allowed), checkFrom(i + 1)));
          settle(snapshot, decision);
        }
      };
      return checkFrom(0);
    });
    use(backend, 'receivePresence', ({ agent, presence }) => {
      const admitted = admitPresence(presence, sessionOf(agent)?.principal ?? ANONYMOUS, this.policies.authorizer);
      if (!admitted) return this.liveness.stamp(presence);
      return admitted.then(() => this.liveness.stamp(presence));
    });
  }

  /**
   * A handshake may resume an earlier id only if it was issued to the same principal (otherwise the connection
   * keeps its freshly issued one), and an op may only carry its own connection's id as src.
   */
  private bindIdentity(agent: EngineAgent, data: Record<string, unknown>): void {
    const principal = sessionOf(agent)?.principal ?? ANONYMOUS;
    if (data['a'] === 'hs' && data['id'] != null && !this.ids.verify(data['id'], principal.sub)) delete data['id'];
    if (data['a'] === 'op' && data['src'] != null && data['src'] !== (agent.src ?? agent.clientId)) {
      throw new ConcordError('ERR_FORBIDDEN', 'an op may only carry its own connection id as src');
    }
  }
}
