/**
 * A typed facade over ShareDB's middleware, which is Concord's hook system. ShareDB calls each middleware with a
 * context and a `next(err)` callback; here a handler is an async function whose rejection becomes the error passed
 * to `next`. Only the actions Concord uses are typed.
 */
import type ShareDB from 'sharedb';
import type { Session } from './principal.js';

/** The agent as middleware sees it: `custom.session` is set when the agent is created. */
export interface EngineAgent {
  readonly custom: { session?: Session };
  readonly clientId: string;
  readonly src: string | null;
  readonly closed: boolean;
  readonly stream: { isServer?: boolean };
  close(err?: Error): void;
}

export interface StoredSnapshot {
  id: string;
  v: number;
  type: string | null;
  data?: unknown;
  m?: Record<string, unknown> | null;
}

export interface OpMeta {
  ts?: number;
  user?: string;
  [key: string]: unknown;
}

/** An op as submitted, committed and stored. */
export interface SubmittedOp {
  src?: string;
  seq?: number;
  v: number;
  op?: unknown;
  create?: { type: string; data?: unknown };
  del?: boolean;
  m?: OpMeta;
  /**
   * Commit time (ms since the epoch, fractional: see op-clock.ts), stamped once the storage has the op (engine-db.ts)
   * for the delivery-latency metric; never stored or sent to clients.
   */
  ct?: number;
}

/** ShareDB's SubmitRequest, for the submit / apply / commit / afterWrite actions. */
export interface SubmitContext {
  readonly agent: EngineAgent;
  readonly collection: string;
  readonly id: string;
  readonly op: SubmittedOp;
  /** The snapshot the op applies to (apply) or produced (commit, afterWrite). */
  readonly snapshot: StoredSnapshot | null;
  /** The concurrent ops the submitted op was transformed against. */
  readonly ops: readonly SubmittedOp[];
  readonly retries: number;
  readonly start: number;
}

export interface ReadSnapshotsContext {
  readonly agent: EngineAgent;
  readonly collection: string;
  readonly snapshots: readonly StoredSnapshot[];
  readonly snapshotType: 'current' | 'byVersion' | 'byTimestamp';
  rejectSnapshotRead(snapshot: StoredSnapshot, error: Error): void;
}

export interface PresenceMessage {
  /** Channel: `collection.id` for doc presence. */
  ch: string;
  /** Presence id (per client presence object). */
  id: string;
  /** Presence value; `null` clears it. */
  p: unknown;
  c?: string;
  d?: string;
  v?: number;
  t?: string;
  src?: string;
  r?: boolean;
}

export interface PresenceContext {
  readonly agent: EngineAgent;
  presence: PresenceMessage;
  readonly collection?: string;
}

export interface QueryContext {
  readonly agent: EngineAgent;
  readonly collection: string;
  query: unknown;
}

export interface ConnectContext {
  readonly agent: EngineAgent;
  readonly req: Session | undefined;
}

export interface ReceiveContext {
  readonly agent: EngineAgent;
  data: Record<string, unknown>;
}

/** An op about to be sent to a client: to a subscriber (fan-out), or read from the log (history, catch-up). */
export interface OpContext {
  readonly agent: EngineAgent;
  readonly collection: string;
  readonly id: string;
  readonly op: SubmittedOp;
}

export interface MiddlewareContexts {
  /** An op is about to be sent to a client: to a subscriber (fan-out), or read from the log (history, catch-up). */
  op: OpContext;
  /** A new client connected (fires before the handshake). */
  connect: ConnectContext;
  /** A message arrived from a client. */
  receive: ReceiveContext;
  /** An op is about to be submitted (before it is transformed or applied). */
  submit: SubmitContext;
  /** An op, transformed to the current version, is about to be applied to the snapshot. */
  apply: SubmitContext;
  /** The op was applied; op and snapshot are about to be written. */
  commit: SubmitContext;
  /** The op was written and published. */
  afterWrite: SubmitContext;
  /** Snapshots were read and are about to be returned to a client. */
  readSnapshots: ReadSnapshotsContext;
  /** A query is about to be run. */
  query: QueryContext;
  /** A presence update arrived from a client. */
  receivePresence: PresenceContext;
  /** A presence update is about to be sent to a client. */
  sendPresence: PresenceContext;
}

export type MiddlewareAction = keyof MiddlewareContexts;

type RawMiddleware = (context: unknown, next: (err?: unknown) => void) => void;

/**
 * Registers a handler for one ShareDB middleware action. It answers synchronously when it can (returns nothing, or
 * throws) and returns a promise only when it must wait (`onDecision` in policies.ts for an authorizer's answer): a
 * promise resumes only once Node's process.nextTick queue is empty, and ShareDB sends ops out through that queue, so
 * a needless one makes the request wait for the fan-out of every op being sent at the time.
 */
export function use<A extends MiddlewareAction>(
  backend: ShareDB,
  action: A,
  handler: (context: MiddlewareContexts[A]) => Promise<void> | void,
): void {
  const raw: RawMiddleware = (context, next) => {
    let pending: Promise<void> | void;
    try {
      pending = handler(context as MiddlewareContexts[A]);
    } catch (err) {
      return next(err);
    }
    if (pending === undefined) return next();
    pending.then(() => next(), (err: unknown) => next(err ?? new Error('rejected')));
  };
  (backend.use as (action: string, fn: RawMiddleware) => void).call(backend, action, raw);
}

/** Registers a synchronous handler; a thrown error is passed to `next`. For the op hot path. */
export function useSync<A extends MiddlewareAction>(
  backend: ShareDB,
  action: A,
  handler: (context: MiddlewareContexts[A]) => void,
): void {
  const raw: RawMiddleware = (context, next) => {
    try {
      handler(context as MiddlewareContexts[A]);
    } catch (err) {
      next(err);
      return;
    }
    next();
  };
  (backend.use as (action: string, fn: RawMiddleware) => void).call(backend, action, raw);
}

/** The session an agent was opened for (every agent gets one in `Engine.open`). */
export function sessionOf(agent: EngineAgent): Session | undefined {
  return agent.custom.session;
}
