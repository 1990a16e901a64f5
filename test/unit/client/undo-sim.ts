/**
 * A deterministic two-client simulation for undo: each peer holds its own replica and undo manager; a server
 * orders concurrent ops and transforms the later one, as ShareDB does. Ops are delivered when the test says.
 */
import type { UndoManager, UndoType } from '@concord/client';

export interface OtType<Op, Snap> extends UndoType<Op, Snap> {
  apply(snapshot: Snap, op: Op): Snap;
}

export class Peer<Op, Snap> {
  doc: Snap;
  /** Own ops not yet ordered by the server, and remote ops not yet received. */
  readonly outbox: Op[] = [];
  constructor(readonly name: string, readonly type: OtType<Op, Snap>, readonly undo: UndoManager<Op, Snap>, doc: Snap) {
    this.doc = doc;
  }

  /** An edit by this peer's user. */
  edit(op: Op): void {
    this.undo.record(op, this.doc);
    this.doc = this.type.apply(this.doc, op);
    this.outbox.push(op);
  }

  /** Undo / redo as the binding does it: the returned op is applied and sent but not recorded. */
  undoStep(kind: 'undo' | 'redo' = 'undo'): boolean {
    const op = kind === 'undo' ? this.undo.undo(this.doc) : this.undo.redo(this.doc);
    if (op === undefined) return false;
    this.doc = this.type.apply(this.doc, op);
    this.outbox.push(op);
    return true;
  }

  receive(op: Op): void {
    this.undo.transform(op);
    this.doc = this.type.apply(this.doc, op);
  }
}

/**
 * Delivers everything in both outboxes: `first`'s ops are ordered first; the other's concurrent ops are
 * transformed past them (and they past those), so both replicas converge.
 */
export function sync<Op, Snap>(first: Peer<Op, Snap>, second: Peer<Op, Snap>): void {
  const a = first.outbox.splice(0);
  let b = second.outbox.splice(0);
  const type = first.type;
  for (const opA of a) {
    // second receives opA transformed past its own concurrent ops; those move past opA.
    let incoming = opA;
    b = b.map((opB) => {
      const movedB = type.transform(opB, incoming, 'right');
      incoming = type.transform(incoming, opB, 'left');
      return movedB;
    });
    second.receive(incoming);
  }
  for (const opB of b) first.receive(opB);
}
