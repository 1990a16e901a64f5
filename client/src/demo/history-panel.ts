/**
 * The rich-text demo's history slider: picks a version and shows the document as it was, read from the server
 * (ShareDB's `fetchSnapshot`, served from the nearest milestone plus the ops after it) in a read-only Quill.
 */
import Quill from 'quill';
import type { Connection, Doc } from 'sharedb/lib/client/index.js';

export class HistoryPanel {
  private readonly view: Quill;
  private readonly onOp = (): void => this.updateRange();
  private readonly onInput = (): void => this.scheduleFetch();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private requested = 0;

  constructor(
    private readonly connection: Connection,
    private readonly doc: Doc,
    private readonly slider: HTMLInputElement,
    private readonly label: HTMLElement,
    private readonly viewElement: HTMLElement,
  ) {
    this.view = new Quill(viewElement, { readOnly: true, modules: { toolbar: false } });
    // Remote ops move the version on 'op'; one's own move it on acknowledgement, seen as 'nothing pending'.
    doc.on('op', this.onOp);
    doc.on('nothing pending', this.onOp);
    slider.addEventListener('input', this.onInput);
    this.updateRange();
    slider.value = slider.max;
    this.scheduleFetch();
  }

  destroy(): void {
    this.doc.off('op', this.onOp);
    this.doc.off('nothing pending', this.onOp);
    this.slider.removeEventListener('input', this.onInput);
    clearTimeout(this.timer);
  }

  /** Follows new versions; a slider left at the latest stays there, and the view is fetched again to match it. */
  private updateRange(): void {
    const atEnd = this.slider.value === this.slider.max;
    const max = String(Math.max(1, this.doc.version ?? 1));
    if (max === this.slider.max) return;
    this.slider.max = max;
    if (!atEnd) {
      this.label.textContent = `version ${this.slider.value} of ${this.slider.max}`;
      return;
    }
    this.slider.value = max;
    this.scheduleFetch(); // debounced: one fetch after a burst of edits
  }

  private scheduleFetch(): void {
    this.label.textContent = `version ${this.slider.value} of ${this.slider.max}`;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fetch(Number(this.slider.value)), 120);
  }

  private fetch(version: number): void {
    const request = ++this.requested;
    this.connection.fetchSnapshot(this.doc.collection, this.doc.id, version, (err, snapshot) => {
      if (request !== this.requested) return; // a later pick superseded this one
      if (err || !snapshot) {
        this.label.textContent = `version ${version}: ${err ? (err as { code?: string }).code ?? err.message : 'unavailable'}`;
        return;
      }
      this.view.setContents((snapshot.data as { ops: object[] } | undefined)?.ops ?? [], 'api');
      this.viewElement.dataset['version'] = String(version); // the version shown, for tests and styling
    });
  }
}
