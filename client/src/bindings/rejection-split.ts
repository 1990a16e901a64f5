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
 *
 * ShareDB rolls a refused op back with `type.invert(op)`, which only sees the op: rich-text has no `invert` (ShareDB
 * then reloads the document and drops every edit queued behind the refused one), and json1 inverts a removal that
 * does not carry the removed value into an insert of `true` (the local document then differs from the server's).
 * So each tracked op also keeps the document it applies to (moved past others' ops with it; these types' `apply`
 * never modifies its input, so keeping it is keeping a reference), and its type's `invert` is exact from it.
 */
import type { Doc } from 'sharedb/lib/client/index.js';
import * as textUnicode from 'ot-text-unicode';
import { json1Type, richTextType, textUnicodeType } from '@concord/shared';
import { errorCode } from '../connection/errors.js';
import type { Delta } from '../undo/delta.js';
import { json1Undo, richTextUndo, type DeltaLike } from '../undo/undo-types.js';
import type { Doc as JsonDoc, JSONOp } from 'ot-json1';

type Callback = ((err?: unknown) => void) | null | undefined;

interface OpType {
  name?: string;
  apply?(snapshot: unknown, op: unknown): unknown;
  invert?(op: unknown): unknown;
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
  data: unknown;
  inflightOp: QueuedOp | null;
  pendingOps: QueuedOp[];
  flush(): void;
  _handleOp(err: unknown, message: { seq?: number }): void;
}

const PARTS = Symbol('concord.edits');
const INSTALLED = Symbol('concord.splitOnRejection');

/** What a tracked queued op is made of: its edits, oldest first, and (see `INVERSES`) the document it applies to. */
interface Tracked {
  readonly parts: unknown[];
  before: { value: unknown } | undefined;
}

/** A queued op's own copy of the doc's type, carrying what the op is made of. */
type TrackingType = OpType & { [PARTS]: Tracked };

/**
 * Exact inverses from the document an op applies to, for the types whose `apply` returns a new document and leaves
 * the old one as it was. json0 is not here: its ops carry what they remove, and it modifies documents in place.
 */
type Inverse = (op: unknown, before: unknown) => unknown;
const INVERSES: ReadonlyMap<string, Inverse> = new Map<string, Inverse>([
  [richTextType.name, (op, before) => richTextUndo.invert(op as Delta, before as DeltaLike)],
  [json1Type.name, (op, before) => json1Undo.invert(op as JSONOp, before as JsonDoc)],
  // At run time ot-text-unicode has it; its typings leave it out.
  [textUnicodeType.name, (textUnicode.type as unknown as { invertWithDoc: Inverse }).invertWithDoc],
]);

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
  /** The document before the submit: what an op the submit queues applies to. */
  data: unknown;
}

export function markQueue(doc: Doc): QueueMark {
  const { pendingOps, data } = doc as unknown as SplitDoc;
  const last = pendingOps[pendingOps.length - 1];
  return { last, submits: last?.callbacks?.length ?? 0, data };
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
    queued.type = trackingType(base, [edit], INVERSES.has(base.name ?? '') ? { value: mark.data } : undefined);
  } else {
    const parts = trackedBy(queued)?.parts;
    if (!parts || queued.callbacks?.length !== mark.submits + 1) return;
    if (parts.length < MAX_PARTS || !base.compose) parts.push(edit);
    else parts[parts.length - 1] = base.compose(parts[parts.length - 1], edit);
  }
  installSplitOnRejection(target);
}

function trackingType(base: OpType, parts: unknown[], before: Tracked['before']): TrackingType {
  const type = Object.create(base) as TrackingType;
  const tracked: Tracked = { parts, before };
  type[PARTS] = tracked;
  type.transformX = (client, server) => {
    // `server` applies to the document this op applies to (ShareDB moves it past the ops queued before this one).
    if (tracked.before) tracked.before = applied(base, tracked.before, server);
    let moving = server;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      parts[i] = base.transform(part, moving, 'left');
      moving = base.transform(moving, part, 'right');
    }
    return base.transformX ? base.transformX(client, server) : [base.transform(client, server, 'left'), base.transform(server, client, 'right')];
  };
  const invert = INVERSES.get(base.name ?? '');
  if (invert && before) {
    type.invert = (op) => {
      if (tracked.before) return invert(op, tracked.before.value);
      if (base.invert) return base.invert(op);
      throw new Error('the document the refused op applied to is not known'); // ShareDB reloads the document
    };
  }
  return type;
}

/** `before` with `op` applied, or undefined (no exact inverse then) should the type not take it. */
function applied(base: OpType, before: { value: unknown }, op: unknown): Tracked['before'] {
  if (!base.apply) return undefined;
  try {
    return { value: base.apply(before.value, op) };
  } catch {
    return undefined;
  }
}

function trackedBy(queued: QueuedOp): Tracked | undefined {
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
  const tracked = trackedBy(refused);
  const parts = tracked?.parts;
  const callbacks = refused.callbacks ?? [];
  const base = refused.type && (Object.getPrototypeOf(refused.type) as OpType);
  if (!parts || !base?.compose || parts.length < 2 || callbacks.length !== parts.length) return false;
  if (JSON.stringify(composeAll(base, parts)) !== JSON.stringify(refused.op)) return false;
  const half = Math.ceil(parts.length / 2);
  const first = composeAll(base, parts.slice(0, half));
  const before = tracked.before;
  const halves: QueuedOp[] = [
    { op: first, type: trackingType(base, parts.slice(0, half), before), source: refused.source, callbacks: callbacks.slice(0, half) },
    {
      op: composeAll(base, parts.slice(half)),
      type: trackingType(base, parts.slice(half), before && applied(base, before, first)),
      source: refused.source,
      callbacks: callbacks.slice(half),
    },
  ];
  // The refused op was not applied by the server: its halves go out as new ops (new sequence numbers), in order.
  doc.inflightOp = null;
  doc.pendingOps.unshift(...halves);
  doc.flush();
  return true;
}

function composeAll(type: OpType, edits: unknown[]): unknown {
  return edits.reduce((all, edit) => type.compose!(all, edit));
}
