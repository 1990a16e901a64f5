/**
 * JsonStore: a json1 document as a typed store, for whiteboards and other structured state, with undo.
 *
 * Lifecycle: construct on a ShareDB doc of type json1 (subscribe it yourself, for example with `openDoc`); the
 * constructor listens to the doc's `op`, `load` and `del`; `destroy()` removes exactly those listeners.
 * Own ops carry this store's own `source` object, which is how they are told apart from everyone else's.
 *
 * Events: `change` (data, {local}) after every change; `error` for ops the server rejected (they have been rolled
 * back exactly, because every op the helpers make is invertible).
 */
import type { Doc } from 'sharedb/lib/client/index.js';
import { Emitter } from '../connection/emitter.js';
import { UndoManager, type UndoOptions } from '../undo/undo-manager.js';
import { json1Undo } from '../undo/undo-types.js';
import { attempt } from './attempt.js';
import { submitEdit } from './submit-edit.js';
import { getAt, insertOp, moveOp, removeOp, replaceOp, type JSONOp, type JsonPath, type JsonValue } from './json-ops.js';

export type JsonStoreEvents<T> = {
  change: (data: T, info: { local: boolean }) => void;
  error: (error: Error) => void;
};

export class JsonStore<T extends object> {
  readonly doc: Doc<T>;
  /** Marks this store's own ops in ShareDB's op events. */
  readonly source: object = { jsonStore: true };
  private readonly undoManager: UndoManager<JSONOp, JsonValue | undefined>;
  private readonly events = new Emitter<JsonStoreEvents<T>>();
  private readonly onOp = (op: unknown, source: unknown): void => this.opApplied(op as JSONOp, source);
  private readonly onReset = (): void => this.reset();

  constructor(doc: Doc<T>, options: UndoOptions = {}) {
    this.doc = doc;
    this.undoManager = new UndoManager(json1Undo, options);
    doc.on('op', this.onOp);
    doc.on('load', this.onReset);
    doc.on('del', this.onReset);
  }

  get data(): T {
    return this.doc.data;
  }

  get<V = unknown>(path: JsonPath): V | undefined {
    return getAt(this.doc.data, path) as V | undefined;
  }

  on<K extends keyof JsonStoreEvents<T>>(event: K, listener: JsonStoreEvents<T>[K]): () => void {
    return this.events.on(event, listener);
  }

  insert(path: JsonPath, value: JsonValue): void {
    this.submit(insertOp(path, value));
  }

  remove(path: JsonPath): void {
    this.submit(removeOp(this.doc.data, path));
  }

  replace(path: JsonPath, value: JsonValue): void {
    this.submit(replaceOp(this.doc.data, path, value));
  }

  move(from: JsonPath, to: JsonPath): void {
    this.submit(moveOp(this.doc.data, from, to));
  }

  /** Submits any json1 op as an own, undoable edit (make it invertible for exact rollback). */
  submit(op: JSONOp): void {
    const before = this.doc.data as unknown as JsonValue;
    if (this.send(op)) this.undoManager.record(op, before);
  }

  get canUndo(): boolean {
    return this.undoManager.canUndo;
  }

  get canRedo(): boolean {
    return this.undoManager.canRedo;
  }

  /** Reverts this user's last own step, as it stands after everyone else's edits. False if there is none. */
  undo(): boolean {
    const op = this.undoManager.undo(this.doc.data as unknown as JsonValue);
    if (op === undefined) return false;
    return this.send(op);
  }

  redo(): boolean {
    const op = this.undoManager.redo(this.doc.data as unknown as JsonValue);
    if (op === undefined) return false;
    return this.send(op);
  }

  /** Starts one undo step that takes every edit until stopCapturing(), however slow (for example on pointer down). */
  startCapturing(): void {
    this.undoManager.startCapturing();
  }

  /** Ends the current undo step (for example on pointer up after a drag). */
  stopCapturing(): void {
    this.undoManager.stopCapturing();
  }

  destroy(): void {
    this.doc.off('op', this.onOp);
    this.doc.off('load', this.onReset);
    this.doc.off('del', this.onReset);
    this.events.removeAll();
  }

  /** A refused edit (too big for the server, see submitEdit) is reported as 'error' and leaves the data as it was. */
  private send(op: JSONOp): boolean {
    return submitEdit(this.doc, op, this.source, (err) => this.events.emit('error', err));
  }

  /**
   * Never throws: ShareDB answers an exception from an 'op' listener with a hard rollback, which discards this user's
   * edits not yet acknowledged. Undo steps that cannot be moved past a remote op are dropped (they would revert the
   * wrong thing) and the failure is reported; 'change' listeners are isolated by the emitter.
   */
  private opApplied(op: JSONOp, source: unknown): void {
    const local = source === this.source;
    if (!local) {
      attempt((err) => this.events.emit('error', err), () => this.undoManager.transform(op), () => this.undoManager.clear());
    }
    this.events.emit('change', this.doc.data, { local });
  }

  /** A fresh snapshot (refetch after a hard rollback) or a deletion: the stacks no longer apply. */
  private reset(): void {
    this.undoManager.clear();
    this.events.emit('change', this.doc.data, { local: false });
  }
}
