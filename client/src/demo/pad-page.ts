/** The plain-text demo: a textarea on a text-unicode document, with other people's carets. */
import type { TextPresence } from '@concord/shared';
import { openDoc, PresenceChannel, TextBinding, WhoIsHere } from '../index.js';
import { renderPeople, reportErrors, showFailure, startDemo } from './demo-setup.js';

async function main(): Promise<void> {
  const { client, docId, name } = startDemo();
  const field = document.querySelector<HTMLTextAreaElement>('#pad');
  if (!field) return;
  field.disabled = true;
  const doc = await openDoc<string>(client.connection, 'pads', docId, { type: 'text-unicode', data: '' });
  const presence = new PresenceChannel<TextPresence>(client.connection, 'pads', docId, { label: name });
  const binding = new TextBinding(field, doc, { presence });
  reportErrors(binding);
  const here = new WhoIsHere(presence);
  here.on('change', renderPeople);
  renderPeople(here.participants);
  field.disabled = false;
  Object.assign(window.concordDemo ?? {}, { doc, binding, presence, here, ready: true });
}

main().catch((err: unknown) => showFailure(err));
