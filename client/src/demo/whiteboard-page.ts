/** The whiteboard demo: shapes on a json1 document, dragged, recoloured and deleted together, with pointers. */
import type { BoardPresence } from '@concord/shared';
import { JsonStore, openDoc, PresenceChannel, undoShortcut, WhoIsHere } from '../index.js';
import { BoardView, type Board, type Shape } from './board-view.js';
import { onClick, renderPeople, reportErrors, showFailure, startDemo } from './demo-setup.js';

const PALETTE = ['#f28b82', '#fbbc04', '#ccff90', '#a7ffeb', '#aecbfa', '#d7aefb'];

async function main(): Promise<void> {
  const { client, docId, name } = startDemo();
  const svg = document.querySelector<SVGSVGElement>('#board');
  if (!svg) return;
  const doc = await openDoc<Board>(client.connection, 'whiteboards', docId, { type: 'json1', data: { shapes: {} } });
  const store = new JsonStore<Board>(doc);
  reportErrors(store);
  const presence = new PresenceChannel<BoardPresence>(client.connection, 'whiteboards', docId, { label: name });
  let selected: string | null = null;
  let pointer: BoardPresence['pointer'] = null;
  const publish = (): void => presence.update({ pointer, selection: selected ? [selected] : [] });
  const render = (): void => {
    if (selected && !store.get(['shapes', selected])) selected = null;
    view.render(store.data, selected, presence.others);
  };
  const view = new BoardView(svg, {
    select: (id) => {
      selected = id;
      publish();
      render();
    },
    // One drag, one undo step, however long the pointer is held still on the way.
    dragStart: () => store.startCapturing(),
    drag: (id, x, y) => {
      if (!store.get(['shapes', id])) return;
      store.replace(['shapes', id, 'x'], x);
      store.replace(['shapes', id, 'y'], y);
    },
    dragEnd: () => store.stopCapturing(),
    pointer: (point) => {
      pointer = point;
      publish();
    },
  });
  store.on('change', render);
  store.on('error', (err) => console.warn('rejected:', err.message));
  presence.on('receive', render);
  const here = new WhoIsHere(presence);
  here.on('change', renderPeople);
  renderPeople(here.participants);
  bindToolbar(store, () => selected, (id) => {
    selected = id;
    publish();
    render();
  });
  publish();
  render();
  Object.assign(window.concordDemo ?? {}, { doc, store, presence, here, ready: true });
}

function bindToolbar(store: JsonStore<Board>, selected: () => string | null, select: (id: string | null) => void): void {
  const add = (kind: Shape['kind']): void => {
    const id = `s-${Math.random().toString(36).slice(2, 9)}`;
    const count = Object.keys(store.data.shapes).length;
    const shape: Shape = {
      kind, x: 40 + (count % 8) * 60, y: 40 + (count % 5) * 50, w: 120, h: 80,
      color: PALETTE[count % PALETTE.length] ?? '#aecbfa', z: Date.now(),
    };
    store.stopCapturing();
    store.insert(['shapes', id], { ...shape });
    store.stopCapturing();
    select(id);
  };
  const remove = (): void => {
    const id = selected();
    if (id && store.get(['shapes', id])) store.remove(['shapes', id]);
    select(null);
  };
  onClick('#add-rect', () => add('rect'));
  onClick('#add-ellipse', () => add('ellipse'));
  onClick('#delete', remove);
  onClick('#undo', () => store.undo());
  onClick('#redo', () => store.redo());
  document.querySelector<HTMLInputElement>('#color')?.addEventListener('change', (event) => {
    const id = selected();
    if (id && store.get(['shapes', id])) store.replace(['shapes', id, 'color'], (event.target as HTMLInputElement).value);
  });
  document.addEventListener('keydown', (event) => {
    if ((event.target as Element | null)?.closest('input, textarea')) return;
    const action = undoShortcut(event);
    if (action) {
      event.preventDefault();
      if (action === 'undo') store.undo();
      else store.redo();
    } else if (event.key === 'Delete' || event.key === 'Backspace') {
      remove();
    }
  });
}

main().catch((err: unknown) => showFailure(err));
