/**
 * UndoManager: undo and redo of this client's own edits only, for any OT type.
 *
 * It keeps two stacks of ops that revert (undo) or re-apply (redo) the user's own edits, each expressed against
 * the current document. When an op from anyone else arrives (`transform`), every stacked op is transformed past it,
 * so an undo later reverts exactly the user's own change as it stands now: text someone else typed inside it stays,
 * a colour someone else set on a moved shape stays, and an edit of something another user deleted undoes to nothing.
 * Stacked ops lose every tie against others' ops (json1's contested slots), so an undo never overwrites a value
 * another user set afterwards.
 *
 * Use: `record(op, before)` for each own op (with the snapshot it applied to); `transform(op)` for every other op,
 * in the order applied; `undo(current)` / `redo(current)` take one step and return the op to submit (not to be
 * recorded), or undefined when there is no step or others' edits have emptied it. Own ops within `captureMs` of each
 * other form one undo step.
 */

/** What undo needs of an OT type. */
export interface UndoType<Op, Snapshot> {
  /** `op` moved past `other` (both apply to the same document); `side` breaks ties, `left` wins. */
  transform(op: Op, other: Op, side: 'left' | 'right'): Op;
  /** The op that reverts `op`, given the snapshot `op` applied to. */
  invert(op: Op, before: Snapshot): Op;
  /** `a` then `b` as one op. */
  compose(a: Op, b: Op): Op;
  isNoop(op: Op): boolean;
}

export interface UndoOptions {
  /** Own ops closer together than this (ms) form one undo step. Default 500; 0 makes every op its own step. */
  captureMs?: number;
  /** Undo steps kept. Default 200. */
  maxSteps?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export class UndoManager<Op, Snapshot> {
  private readonly type: UndoType<Op, Snapshot>;
  private readonly captureMs: number;
  private readonly maxSteps: number;
  private readonly now: () => number;
  private undoStack: Op[] = [];
  private redoStack: Op[] = [];
  private lastRecordedAt = Number.NEGATIVE_INFINITY;
  /** Between startCapturing() and stopCapturing(): own ops join the open step however far apart they come. */
  private holding = false;

  constructor(type: UndoType<Op, Snapshot>, options: UndoOptions = {}) {
    this.type = type;
    this.captureMs = options.captureMs ?? 500;
    this.maxSteps = options.maxSteps ?? 200;
    this.now = options.now ?? Date.now;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** An own op, applied to `before`. Clears the redo stack. */
  record(op: Op, before: Snapshot): void {
    if (this.type.isNoop(op)) return;
    const inverse = this.type.invert(op, before);
    const now = this.now();
    const top = this.undoStack[this.undoStack.length - 1];
    const captureMs = this.holding ? Number.POSITIVE_INFINITY : this.captureMs;
    if (top !== undefined && now - this.lastRecordedAt < captureMs) {
      // The inverse takes the current doc back to `before`, where the previous step's inverse applies.
      this.undoStack[this.undoStack.length - 1] = this.type.compose(inverse, top);
    } else {
      this.undoStack.push(inverse);
      if (this.undoStack.length > this.maxSteps) this.undoStack.shift();
    }
    this.lastRecordedAt = now;
    this.redoStack = [];
  }

  /** Someone else's op (or any op not recorded), applied after everything seen so far. */
  transform(op: Op): void {
    this.undoStack = this.transformStack(this.undoStack, op);
    this.redoStack = this.transformStack(this.redoStack, op);
  }

  /** The next own step the user can undo, or undefined. */
  undo(current: Snapshot): Op | undefined {
    return this.move(this.undoStack, this.redoStack, current);
  }

  /** Re-applies the last undone step, or undefined. */
  redo(current: Snapshot): Op | undefined {
    return this.move(this.redoStack, this.undoStack, current);
  }

  /** Starts a step that takes every own op until stopCapturing(), however far apart (e.g. pointer down to up). */
  startCapturing(): void {
    this.stopCapturing();
    this.holding = true;
  }

  /** Ends the current undo step: the next own op starts a new one. */
  stopCapturing(): void {
    this.lastRecordedAt = Number.NEGATIVE_INFINITY;
    this.holding = false;
  }

  clear(): void {
    this.undoStack = [];
    this.redoStack = [];
    this.stopCapturing();
  }

  /**
   * Takes exactly one step, even one that others' edits have emptied (its text deleted, its value overwritten):
   * nothing happens for it, rather than the step before it being undone by the same key press. Skipping such steps
   * once turned an undo of a lost drag into deleting the whole shape another user was still moving.
   */
  private move(from: Op[], to: Op[], current: Snapshot): Op | undefined {
    this.stopCapturing();
    const op = from.pop();
    if (op === undefined) return undefined;
    to.push(this.type.invert(op, current));
    return this.type.isNoop(op) ? undefined : op;
  }

  /** Stack items apply one after another from the top; each is moved past `op` as it stands at its own level. */
  private transformStack(stack: Op[], op: Op): Op[] {
    const result: Op[] = [];
    let other = op;
    for (let i = stack.length - 1; i >= 0; i--) {
      const item = stack[i] as Op;
      const moved = this.type.transform(item, other, 'right');
      other = this.type.transform(other, item, 'left');
      result.push(moved); // an emptied step stays: it still takes its own key press (see move)
    }
    return result.reverse();
  }
}
