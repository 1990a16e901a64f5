/** The rich-text demo: Quill 2 with remote cursors, the people list, undo and redo of one's own edits. */
import Quill from 'quill';
import QuillCursors from 'quill-cursors';
import type { TextPresence } from '@concord/shared';
import { openDoc, PresenceChannel, QuillBinding, WhoIsHere, type DeltaLike } from '../index.js';
import { onClick, renderPeople, reportErrors, showFailure, startDemo } from './demo-setup.js';
import { HistoryPanel } from './history-panel.js';

Quill.register('modules/cursors', QuillCursors);

async function main(): Promise<void> {
  const { client, docId, name } = startDemo();
  const quill = new Quill('#editor', {
    theme: 'snow',
    modules: {
      cursors: { hideDelayMs: 60_000, transformOnTextChange: false },
      // The binding's undo replaces Quill's, which would also undo other people's edits.
      history: { maxStack: 0, userOnly: true },
      toolbar: [['bold', 'italic', 'underline'], [{ header: [1, 2, false] }], [{ list: 'ordered' }, { list: 'bullet' }], ['clean']],
    },
    placeholder: 'Type together…',
  });
  quill.disable();
  const doc = await openDoc<DeltaLike>(client.connection, 'richtext', docId, { type: 'rich-text', data: { ops: [{ insert: '\n' }] } });
  const presence = new PresenceChannel<TextPresence>(client.connection, 'richtext', docId, { label: name });
  const binding = new QuillBinding(quill, doc, { presence, cursors: quill.getModule('cursors') as QuillCursors });
  reportErrors(binding);
  const here = new WhoIsHere(presence);
  here.on('change', renderPeople);
  renderPeople(here.participants);
  onClick('#undo', () => binding.undo());
  onClick('#redo', () => binding.redo());
  const history = new HistoryPanel(client.connection, doc,
    document.querySelector<HTMLInputElement>('#history-slider')!, document.querySelector<HTMLElement>('#history-version')!,
    document.querySelector<HTMLElement>('#history-view')!);
  quill.enable();
  Object.assign(window.concordDemo ?? {}, { doc, quill, binding, presence, here, history, ready: true });
}

main().catch((err: unknown) => showFailure(err));
