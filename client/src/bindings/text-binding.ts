/**
 * TextBinding: a `<textarea>` or `<input>` kept in step with a ShareDB `text-unicode` document, with remote carets.
 *
 * Lifecycle: construct with the element and a subscribed text-unicode doc (see `openDoc`). The constructor puts
 * the text into the element and attaches listeners it keeps as fields: the element's `input` and selection events,
 * the doc's `op` and `load`, and the presence channel's `receive`. `destroy()` removes exactly those, withdraws this
 * user's caret and removes the caret overlay.
 *
 * Local edits become ops by diffing the field's old and new value (in code points, which text-unicode counts);
 * remote ops are applied to the field with the local caret and selection moved through them (from UTF-16 units to
 * code points and back), so they stay where the user left them. Own ops carry this binding's `source` object.
 * While the user composes text with an input method (IME), remote ops wait and are applied when the composition
 * ends: setting the field's value ends a composition, which leaves the reading typed so far (`nihon`, `にほん`) in
 * the text beside the conversion the user then picks (`日本`). The field's edits meanwhile are moved past the waiting
 * ops before they are submitted.
 */
import type { Doc } from 'sharedb/lib/client/index.js';
import type { TextPresence } from '@concord/shared';
import type { TextOp } from 'ot-text-unicode';
import { Emitter } from '../connection/emitter.js';
import type { PresenceChannel, Remote } from '../presence/presence-channel.js';
import { applyTextOp, rangeToCodePoints, rangeToUtf16, transformRange } from '../text/caret.js';
import { diffToTextOp } from '../text/text-diff.js';
import { textType } from '../text/text-type.js';
import { TextCaretOverlay } from './text-caret-overlay.js';
import { attempt } from './attempt.js';
import { HeldOps } from './held-ops.js';
import { submitEdit } from './submit-edit.js';

export type TextField = HTMLTextAreaElement | HTMLInputElement;

export interface TextBindingOptions {
  /** Publishes this user's caret and shows the others'. Default: no presence. */
  presence?: PresenceChannel<TextPresence>;
  /** Draw remote carets over the field (needs `presence`). Default true. */
  showCarets?: boolean;
}

export type TextBindingEvents = {
  /** An op of this user was rejected by the server. */
  error: (error: Error) => void;
};

const SELECTION_EVENTS = ['select', 'keyup', 'mouseup', 'focus'] as const;

export class TextBinding {
  readonly element: TextField;
  readonly doc: Doc<string>;
  /** Marks this binding's own ops in ShareDB's op events. */
  readonly source: object = { textBinding: true };
  private readonly presence: PresenceChannel<TextPresence> | undefined;
  private readonly overlay: TextCaretOverlay | undefined;
  private readonly events = new Emitter<TextBindingEvents>();
  private readonly detachPresence: () => void;
  /** The text the field shows: the doc's, but for the ops held back. */
  private value = '';
  /** Others' ops the doc has and the field does not yet (during an IME composition). */
  private readonly held = new HeldOps<TextOp>(textType);
  private composing = false;

  constructor(element: TextField, doc: Doc<string>, options: TextBindingOptions = {}) {
    this.element = element;
    this.doc = doc;
    this.presence = options.presence;
    this.overlay = this.presence && options.showCarets !== false ? new TextCaretOverlay(element) : undefined;
    this.load();
    element.addEventListener('input', this.onInput);
    for (const event of SELECTION_EVENTS) element.addEventListener(event, this.onSelection);
    element.addEventListener('scroll', this.onScroll);
    element.addEventListener('compositionstart', this.onCompositionStart);
    element.addEventListener('compositionend', this.onCompositionEnd);
    doc.on('op', this.onOp);
    doc.on('load', this.onLoad);
    this.detachPresence = this.presence?.on('receive', this.onPresence) ?? (() => undefined);
    this.renderCarets();
    this.presence?.update({ index: 0, length: 0 });
  }

  on<K extends keyof TextBindingEvents>(event: K, listener: TextBindingEvents[K]): () => void {
    return this.events.on(event, listener);
  }

  destroy(): void {
    this.element.removeEventListener('input', this.onInput);
    for (const event of SELECTION_EVENTS) this.element.removeEventListener(event, this.onSelection);
    this.element.removeEventListener('scroll', this.onScroll);
    this.element.removeEventListener('compositionstart', this.onCompositionStart);
    this.element.removeEventListener('compositionend', this.onCompositionEnd);
    this.doc.off('op', this.onOp);
    this.doc.off('load', this.onLoad);
    this.detachPresence();
    this.overlay?.destroy();
    this.presence?.clear();
    this.events.removeAll();
  }

  private readonly onInput = (): void => {
    const next = this.element.value;
    const op = diffToTextOp(this.value, next, this.element.selectionEnd ?? undefined);
    this.value = next;
    if (op.length > 0) {
      const docOp = this.held.pass(op);
      if (!submitEdit(this.doc, docOp, this.source, this.report)) this.putBack(docOp);
    }
    this.publishSelection();
    this.renderCarets();
  };

  private readonly onSelection = (): void => this.publishSelection();

  private readonly onScroll = (): void => this.renderCarets();

  /** Another's op: put into the field now, or when the user's IME composition ends (see the class comment). */
  private readonly onOp = (op: unknown, source: unknown): void => {
    if (source === this.source) return;
    this.held.hold(op as TextOp);
    if (!this.composing) this.catchUp();
  };

  private readonly onCompositionStart = (): void => {
    this.composing = true;
  };

  /** Browsers send the composition's last 'input' before this event; one that did not still has it taken first. */
  private readonly onCompositionEnd = (): void => {
    this.composing = false;
    if (this.element.value !== this.value) this.onInput();
    this.catchUp();
  };

  /**
   * Puts the ops the field is behind by into it. Never throws, as it runs inside ShareDB's 'op' listener, which
   * answers an exception with a hard rollback that throws away every edit of this user not yet acknowledged. If the
   * field cannot take them it is reloaded from the doc (which holds them and those edits) and the failure is reported
   * as 'error'.
   */
  private catchUp(): void {
    const op = this.held.take();
    if (op) attempt((err) => this.events.emit('error', err), () => this.applyRemote(op), () => this.load());
  }

  private readonly onLoad = (): void => this.load();

  private readonly report = (err: Error): void => this.events.emit('error', err);

  /** An edit refused unsent (too big): the field shows the doc's text again, the caret where the edit began. */
  private putBack(refused: TextOp): void {
    this.load();
    const at = typeof refused[0] === 'number' ? refused[0] : 0;
    const { start } = rangeToUtf16(this.value, Math.min(at, [...this.value].length), 0);
    this.element.setSelectionRange(start, start);
  }

  private readonly onPresence = (): void => this.renderCarets();

  private load(): void {
    this.held.clear();
    this.value = typeof this.doc.data === 'string' ? this.doc.data : '';
    this.element.value = this.value;
  }

  /** Puts a remote op into the field, keeping the local selection (and scroll position) where it was. */
  private applyRemote(op: TextOp): void {
    const { element } = this;
    const before = this.value;
    const after = applyTextOp(before, op);
    const start = element.selectionStart ?? 0;
    const end = element.selectionEnd ?? start;
    const moved = transformRange(before, after, { start, end }, op);
    const { scrollTop, scrollLeft } = element;
    this.value = after;
    element.value = after;
    element.setSelectionRange(moved.start, moved.end, element.selectionDirection ?? 'none');
    element.scrollTop = scrollTop;
    element.scrollLeft = scrollLeft;
    this.renderCarets();
  }

  private publishSelection(): void {
    if (!this.presence) return;
    const start = this.element.selectionStart ?? 0;
    const end = this.element.selectionEnd ?? start;
    this.presence.update(rangeToCodePoints(this.value, { start, end }));
  }

  private renderCarets(): void {
    if (this.overlay && this.presence) this.overlay.render(this.value, this.presence.others as ReadonlyMap<string, Remote<TextPresence>>);
  }
}
