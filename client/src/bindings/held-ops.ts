/**
 * HeldOps: others' ops a view (an editor, a text field) has not applied yet because it cannot take them now, such as
 * during an IME composition, where writing into the view would end the composition or wipe out what is composed.
 *
 * The view then shows the doc but for the held ops. An edit the view makes meanwhile applies to the view, not the
 * doc: `pass` turns it into the op for the doc (moved past the held ops) and moves the held ops past it. Applying
 * `take()` to the view then brings it back in step with the doc.
 */
export interface HoldType<Op> {
  /** `op` moved past `other` (both apply to the same document); `side` breaks ties. */
  transform(op: Op, other: Op, side: 'left' | 'right'): Op;
  /** `a` then `b` as one op. */
  compose(a: Op, b: Op): Op;
}

export class HeldOps<Op> {
  private readonly type: HoldType<Op>;
  private held: Op | null = null;

  constructor(type: HoldType<Op>) {
    this.type = type;
  }

  /** An op the doc has applied and the view has not. */
  hold(op: Op): void {
    this.held = this.held === null ? op : this.type.compose(this.held, op);
  }

  /** An edit of the view, as the op that makes the same edit to the doc. */
  pass(edit: Op): Op {
    const held = this.held;
    if (held === null) return edit;
    this.held = this.type.transform(held, edit, 'left');
    return this.type.transform(edit, held, 'right');
  }

  /** The held ops as one op for the view, which then is in step; null if none are held. */
  take(): Op | null {
    const held = this.held;
    this.held = null;
    return held;
  }

  /** Forgets the held ops (the view has been reloaded from the doc). */
  clear(): void {
    this.held = null;
  }
}
