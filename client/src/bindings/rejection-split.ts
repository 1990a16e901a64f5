/**
 * Keeps one edit the server refuses from taking the user's other waiting edits with it.
 *
 * ShareDB composes an edit into the op queued before it (edits made while an op awaits its ack, or offline), and the
 * server accepts or refuses that op as a whole: one refused edit (a JSON Schema violation, the document size cap, a
 * host's rule) rolled back all of them, good and bad. Not composing would cost a round trip per edit (a thousand
 * keystrokes typed offline would take a thousand, and typing faster than the round trip would queue without end),
 * so edits are still composed, and this remembers which edits each queued op is made of. When the server refuses an
 * op made of several, ShareDB does not see the refusal: the op is split into two halves, which go out again one
 * after the other, until the refused edit is alone (about 2·log2(n) messages to find one bad edit among n). ShareDB
 * then rolls back that edit alone, as it rolls back any refused op, and the edits behind it stay pending.
 *
 * The remembered edits are moved past others' ops together with the queued op: ShareDB transforms a queued op with
 * the op's own `type`, so each tracked queued op gets a copy of the doc's type whose `transformX` moves its edits
 * too. Before splitting, the edits composed must give the queued op exactly (an op submitted past submitEdit and
 * composed into it would be missing); if they do not, the refusal is left to ShareDB.
 */
import type { Doc } from 'sharedb/lib/client/index.js';
import { errorCode } from '../connection/errors.js';

type Callback = ((err?: unknown) => void) | null | undefined;

interface OpType {
  transform(op: unknown, other: unknown, side: 'left' | 'right'): unknown;
  transformX?(client: unknown, server: unknown): [unknown, unknown];
  compose?(a: unknown, b: unknown): unknown;
  normalize?(op: unknown): unknown;
}

/** ShareDB's queued op (see recovery/doc-internals.ts). */
interface QueuedOp {
  op?: unknown;
  type?: OpType;
  source?: unknown;
  callbacks?: Callback[];
  seq?: number | null;
}

interface SplitDoc {
  type: OpType | null;
  inflightOp: QueuedOp | null;
  pendingOps: QueuedOp[];
  flush(): void;
  _handleOp(err: unknown, message: { seq?: number }): void;
}

const PARTS = Symbol('concord.edits');
const INSTALLED = Symbol('concord.splitOnRejection');

/** A queued op's own copy of the doc's type, carrying the edits the op is composed of, oldest first. */
type TrackingType = OpType & { [PARTS]: unknown[] };

/**
 * Beyond this many edits in one queued op, further edits are composed into the last one: each tracked edit costs a
 * transform per remote op that arrives while it waits.
 */
const MAX_PARTS = 128;

/** Refusals a split cannot help (every part would be refused too), or that ShareDB or recovery handle themselves. */
const NOT_SPLIT: ReadonlySet<string | undefined> = new Set([
  'ERR_NO_OP', 'ERR_FORBIDDEN', 'ERR_UNAUTHENTICATED', 'ERR_HISTORY_PRUNED', 'ERR_SUBMIT_TRANSFORM_OPS_NOT_FOUND',
  'ERR_DOC_WAS_DELETED', 'ERR_DOC_DOES_NOT_EXIST', 'ERR_OP_ALREADY_SUBMITTED',
]);

/** What the doc's queue looked like before a submit: its last op and how many submits that op held. */
export interface QueueMark {
  last: QueuedOp | undefined;
  submits: number;
}

export function markQueue(doc: Doc): QueueMark {
  const { pendingOps } = doc as unknown as SplitDoc;
  const last = pendingOps[pendingOps.length - 1];
  return { last, submits: last?.callbacks?.length ?? 0 };
}

/** Records `op`, just submitted to `doc`, as one edit of the queued op it went into (see the module comment). */
export function recordEdit(doc: Doc, mark: QueueMark, op: unknown): void {
  const target = doc as unknown as SplitDoc;
  const base = target.type;
  const queued = target.pendingOps[target.pendingOps.length - 1];
  if (!base || !queued || queued.op === undefined) return;
  const edit = base.normalize ? base.normalize(op) : op;
  if (queued !== mark.last) {
    if (queued.callbacks?.length !== 1) return;
    queued.type = trackingType(base, [edit]);
  } else {
    const parts = partsOf(queued);
    if (!parts || queued.callbacks?.length !== mark.submits + 1) return;
    if (parts.length < MAX_PARTS || !base.compose) parts.push(edit);
    else parts[parts.length - 1] = base.compose(parts[parts.length - 1], edit);
  }
  installSplitOnRejection(target);
}

function trackingType(base: OpType, parts: unknown[]): TrackingType {
  const type = Object.create(base) as TrackingType;
  type[PARTS] = parts;
  type.transformX = (client, server) => {
    let moving = server;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      parts[i] = base.transform(part, moving, 'left');
      moving = base.transform(moving, part, 'right');
    }
    return base.transformX ? base.transformX(client, server) : [base.transform(client, server, 'left'), base.transform(server, client, 'right')];
  };
  return type;
}

function partsOf(queued: QueuedOp): unknown[] | undefined {
  const type = queued.type as Partial<TrackingType> | undefined;
  return type && Object.prototype.hasOwnProperty.call(type, PARTS) ? type[PARTS] : undefined;
}

/** Takes the server's refusals of `doc`'s ops before ShareDB: a refused op of several edits is split instead. */
function installSplitOnRejection(doc: SplitDoc & { [INSTALLED]?: true }): void {
  if (doc[INSTALLED]) return;
  doc[INSTALLED] = true;
  const handleOp = doc._handleOp;
  doc._handleOp = function (this: SplitDoc, err, message) {
    if (err && split(this, err, message)) return;
    handleOp.call(this, err, message);
  };
}

function split(doc: SplitDoc, err: unknown, message: { seq?: number }): boolean {
  const refused = doc.inflightOp;
  if (!refused || message.seq !== refused.seq || NOT_SPLIT.has(errorCode(err))) return false;
  const parts = partsOf(refused);
  const callbacks = refused.callbacks ?? [];
  const base = refused.type && (Object.getPrototypeOf(refused.type) as OpType);
  if (!parts || !base?.compose || parts.length < 2 || callbacks.length !== parts.length) return false;
  if (JSON.stringify(composeAll(base, parts)) !== JSON.stringify(refused.op)) return false;
  const half = Math.ceil(parts.length / 2);
  const halves = [parts.slice(0, half), parts.slice(half)].map((edits, i): QueuedOp => ({
    op: composeAll(base, edits),
    type: trackingType(base, edits),
    source: refused.source,
    callbacks: i === 0 ? callbacks.slice(0, half) : callbacks.slice(half),
  }));
  // The refused op was not applied by the server: its halves go out as new ops (new sequence numbers), in order.
  doc.inflightOp = null;
  doc.pendingOps.unshift(...halves);
  doc.flush();
  return true;
}

function composeAll(type: OpType, edits: unknown[]): unknown {
  return edits.reduce((all, edit) => type.compose!(all, edit));
}
