/**
 * QuillBinding: a Quill 2 editor kept in step with a ShareDB `rich-text` document, with remote cursors and undo.
 *
 * Lifecycle: construct with a Quill instance and a subscribed rich-text doc (see `openDoc`). The constructor loads
 * the document into Quill and attaches listeners it keeps as fields: Quill's `text-change` and `selection-change`,
 * the doc's `op` and `load`, keydown / beforeinput on the editor root for undo shortcuts, and the presence
 * channel's `receive`. `destroy()` removes exactly those and withdraws this user's cursor.
 *
 * Own ops are submitted with this binding's `source` object; every doc op with another source (other users, a
 * rollback, other code on the same doc) is applied to Quill and moves the undo stacks. Undo and redo revert only
 * this user's edits (see UndoManager). Quill's own history module would undo remote edits too: the binding takes
 * the undo shortcuts before it, and `{ history: { maxStack: 0 } }` in the Quill options keeps it from recording.
 *
 * While the user composes text with an input method (IME: Chinese, Japanese, Korean, many phone keyboards) others'
 * ops wait and are applied when the composition ends: Quill writes its own stale copy of a text over the
 * composition's, so an op applied in the middle would wipe out the characters being composed and move the caret.
 * Whatever Quill reports meanwhile is moved past the waiting ops before it is submitted, so the editor and the doc
 * agree again once they are applied.
 */
import type Quill from 'quill';
import type { EmitterSource, Range } from 'quill';
import type QuillCursors from 'quill-cursors';
import type { Doc } from 'sharedb/lib/client/index.js';
import type { TextPresence } from '@concord/shared';
import { Emitter } from '../connection/emitter.js';
import { Delta, type DeltaOp } from '../undo/delta.js';
import { UndoManager, type UndoOptions } from '../undo/undo-manager.js';
import { richTextUndo, type DeltaLike } from '../undo/undo-types.js';
import { colorFor, displayName, participantKey } from '../presence/identity.js';
import type { PresenceChannel, Remote } from '../presence/presence-channel.js';
import { lastChangeIndex, undoShortcut } from './undo-keys.js';
import { attempt } from './attempt.js';
import { HeldOps } from './held-ops.js';
import { submitEdit } from './submit-edit.js';

export interface QuillBindingOptions extends UndoOptions {
  /** Publishes this user's selection and draws the others'. Default: no presence. */
  presence?: PresenceChannel<TextPresence>;
  /** The quill-cursors module (`quill.getModule('cursors')`) that draws remote cursors. Default: none drawn. */
  cursors?: QuillCursors;
  /** Take Ctrl/Cmd+Z, Ctrl/Cmd+Shift+Z and Ctrl/Cmd+Y for this binding's undo. Default true. */
  keyboard?: boolean;
}

export type QuillBindingEvents = {
  /** An op of this user was rejected by the server (ShareDB rolled it back). */
  error: (error: Error) => void;
};

export class QuillBinding {
  readonly quill: Quill;
  readonly doc: Doc<DeltaLike>;
  /** Marks this binding's own ops in ShareDB's op events. */
  readonly source: object = { quillBinding: true };
  private readonly undoManager: UndoManager<Delta, DeltaLike>;
  private readonly presence: PresenceChannel<TextPresence> | undefined;
  private readonly cursors: QuillCursors | undefined;
  private readonly events = new Emitter<QuillBindingEvents>();
  private readonly detachPresence: () => void;
  private readonly keyboard: boolean;
  private applyingRemote = false;
  private lastRange: Range | null = null;
  /** Others' ops the doc has and Quill does not yet (during an IME composition). */
  private readonly held = new HeldOps<Delta>(richTextUndo);

  constructor(quill: Quill, doc: Doc<DeltaLike>, options: QuillBindingOptions = {}) {
    this.quill = quill;
    this.doc = doc;
    this.presence = options.presence;
    this.cursors = options.cursors;
    this.keyboard = options.keyboard ?? true;
    this.undoManager = new UndoManager(richTextUndo, options);
    this.load();
    quill.on('text-change', this.onTextChange);
    quill.on('selection-change', this.onSelectionChange);
    doc.on('op', this.onOp);
    doc.on('load', this.onLoad);
    quill.on(COMPOSITION_END, this.onCompositionEnd);
    if (this.keyboard) {
      quill.root.addEventListener('keydown', this.onKeyDown, true);
      quill.root.addEventListener('beforeinput', this.onBeforeInput, true);
    }
    this.detachPresence = this.presence?.on('receive', this.onPresence) ?? (() => undefined);
    for (const [id, value] of this.presence?.others ?? []) this.onPresence(id, value);
    this.presence?.update({ index: 0, length: 0 });
  }

  on<K extends keyof QuillBindingEvents>(event: K, listener: QuillBindingEvents[K]): () => void {
    return this.events.on(event, listener);
  }

  get canUndo(): boolean {
    return this.undoManager.canUndo;
  }

  get canRedo(): boolean {
    return this.undoManager.canRedo;
  }

  /** Reverts this user's last own step as it stands now. False if there is none, or while the user composes. */
  undo(): boolean {
    return this.inStep() && this.applyOwn(this.undoManager.undo(this.doc.data));
  }

  redo(): boolean {
    return this.inStep() && this.applyOwn(this.undoManager.redo(this.doc.data));
  }

  destroy(): void {
    this.quill.off('text-change', this.onTextChange);
    this.quill.off('selection-change', this.onSelectionChange);
    this.doc.off('op', this.onOp);
    this.doc.off('load', this.onLoad);
    this.quill.off(COMPOSITION_END, this.onCompositionEnd);
    if (this.keyboard) {
      this.quill.root.removeEventListener('keydown', this.onKeyDown, true);
      this.quill.root.removeEventListener('beforeinput', this.onBeforeInput, true);
    }
    this.detachPresence();
    this.cursors?.clearCursors();
    this.presence?.clear();
    this.events.removeAll();
  }

  private readonly onTextChange = (delta: Delta, oldContents: Delta, _source: EmitterSource): void => {
    if (this.applyingRemote) return;
    const docDelta = this.held.pass(new Delta(delta.ops));
    if (!this.submit(docDelta)) return this.putBack(docDelta);
    this.undoManager.record(delta, oldContents);
    this.publishSelection(this.quill.getSelection() ?? this.lastRange);
  };

  private readonly onSelectionChange = (range: Range | null): void => {
    if (range) this.publishSelection(range);
  };

  /** Another's op: applied to Quill now, or when the user's IME composition ends (see the class comment). */
  private readonly onOp = (op: unknown, source: unknown): void => {
    if (source === this.source) return;
    this.held.hold(new Delta(toOps(op)));
    if (!this.quill.composition.isComposing) this.catchUp();
  };

  private readonly onCompositionEnd = (): void => this.catchUp();

  /**
   * Applies the ops Quill is behind by. Never throws, as it runs inside ShareDB's 'op' listener, which answers an
   * exception with a hard rollback that throws away every edit of this user not yet acknowledged. If Quill cannot
   * take the op it is reloaded from the doc, which holds the op and those edits; if the undo steps cannot be moved
   * past it they are dropped; a failure to redraw the cursors only costs the drawing. Each is reported as 'error'.
   */
  private catchUp(): void {
    // Quill first reports any change of the user it has not yet (onTextChange passes it past the held ops).
    this.attempt(() => this.quill.update('user'));
    const delta = this.held.take();
    if (!delta) return;
    this.attempt(() => this.undoManager.transform(delta), () => this.undoManager.clear());
    this.attempt(() => this.withoutEcho(() => this.quill.updateContents(delta, 'api')), () => this.reload());
    this.attempt(() => this.cursors?.update());
  }

  private readonly onLoad = (): void => {
    this.undoManager.clear();
    this.load();
  };

  private readonly onKeyDown = (event: KeyboardEvent): void => {
    const action = undoShortcut(event);
    if (!action) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (action === 'undo') this.undo();
    else this.redo();
  };

  private readonly onBeforeInput = (event: InputEvent): void => {
    if (event.inputType !== 'historyUndo' && event.inputType !== 'historyRedo') return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (event.inputType === 'historyUndo') this.undo();
    else this.redo();
  };

  private readonly onPresence = (id: string, value: Remote<TextPresence> | null): void => {
    if (!this.cursors) return;
    if (!value || typeof value.index !== 'number') return void this.cursors.removeCursor(id);
    this.cursors.createCursor(id, displayName(value), colorFor(participantKey(id, value)));
    this.cursors.moveCursor(id, { index: value.index, length: value.length ?? 0 });
  };

  private load(): void {
    this.held.clear();
    this.withoutEcho(() => this.quill.setContents(new Delta(toOps(this.doc.data)), 'api'));
  }

  /** Brings Quill up to the doc and takes in the user's last change; false while an IME composition is open. */
  private inStep(): boolean {
    if (this.quill.composition.isComposing) return false;
    this.catchUp();
    return true;
  }

  /** Puts the doc's content back into Quill, keeping the caret where it was as far as the content allows. */
  private reload(): void {
    const range = this.lastRange;
    this.attempt(() => {
      this.load();
      if (range && this.quill.hasFocus()) this.quill.setSelection(Math.min(range.index, this.quill.getLength() - 1), 0, 'silent');
    });
  }

  /** Runs `step` inside a ShareDB listener: a failure is reported as 'error' and `recover` runs, nothing is thrown. */
  private attempt(step: () => void, recover?: () => void): void {
    attempt(this.report, step, recover);
  }

  private readonly report = (err: Error): void => this.events.emit('error', err);

  /** Applies an undo or redo op: to ShareDB as an own op (not recorded again), and to Quill. */
  private applyOwn(op: Delta | undefined): boolean {
    if (!op || !this.submit(op)) return false;
    this.withoutEcho(() => this.quill.updateContents(op, 'api'));
    this.quill.setSelection(lastChangeIndex(op.ops), 0, 'silent');
    this.publishSelection(this.quill.getSelection());
    return true;
  }

  /** False if the edit was refused unsent, as too big for the server (see submitEdit). */
  private submit(delta: Delta): boolean {
    return submitEdit(this.doc, delta.ops, this.source, this.report);
  }

  /** An edit refused unsent: Quill shows the doc's content again, the caret where the edit began. */
  private putBack(refused: Delta): void {
    const retain = refused.ops[0]?.retain;
    const index = typeof retain === 'number' ? retain : 0;
    this.attempt(() => {
      this.load();
      if (this.quill.hasFocus()) this.quill.setSelection(Math.min(index, this.quill.getLength() - 1), 0, 'silent');
    });
    this.publishSelection(this.quill.getSelection());
  }

  private publishSelection(range: Range | null): void {
    if (!range) return;
    this.lastRange = range;
    this.presence?.update({ index: range.index, length: range.length });
  }

  private withoutEcho(fn: () => void): void {
    this.applyingRemote = true;
    try {
      fn();
    } finally {
      this.applyingRemote = false;
    }
  }
}

/** Quill's event when an IME composition has ended and its text has been reported as a 'text-change'. */
const COMPOSITION_END = 'composition-end';

function toOps(value: unknown): DeltaOp[] {
  if (Array.isArray(value)) return value as DeltaOp[];
  const ops = (value as { ops?: unknown } | null)?.ops;
  return Array.isArray(ops) ? (ops as DeltaOp[]) : [];
}
