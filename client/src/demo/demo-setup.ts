/**
 * What every demo page shares: who the user is (`?name=`), where tokens come from when auth is on (a
 * `<meta name="concord-token-url">` or a same-origin `?tokenUrl=`), the document id from `#id` (made up and written
 * into the URL when missing), the connection, the status badge and the "who is here" list. User-provided text is
 * only ever put into the page with `textContent`.
 */
import { errorMessage, isValidName } from '@concord/shared';
import { connect, type CollabClient, type ConnectionStatus, type Participant } from '../index.js';

export interface DemoContext {
  readonly client: CollabClient;
  readonly docId: string;
  readonly name: string;
}

/** Test and debugging handle: the demo's live objects. */
declare global {
  interface Window {
    concordDemo?: Record<string, unknown>;
  }
}

export function startDemo(): DemoContext {
  const params = new URLSearchParams(location.search);
  const name = (params.get('name') ?? '').trim().slice(0, 100) || randomName();
  const docId = documentId();
  const tokenUrl = tokenEndpoint(params);
  const client = connect({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
    ...(tokenUrl ? { token: () => fetchToken(tokenUrl, name) } : {}),
  });
  client.on('error', (err) => console.warn('concord:', err.message));
  showStatus(client);
  text('#me', name);
  addEventListener('hashchange', () => location.reload());
  window.concordDemo = { client, docId, name };
  return { client, docId, name };
}

/** The id after `#`, or a new one written into the URL so the link can be shared. */
function documentId(): string {
  const fromHash = decodeURIComponent(location.hash.slice(1));
  if (isValidName(fromHash)) return fromHash;
  const id = `doc-${Math.random().toString(36).slice(2, 10)}`;
  history.replaceState(null, '', `${location.pathname}${location.search}#${id}`);
  return id;
}

/** Only same-origin token URLs from the query: a link must not make the page log in somewhere else. */
function tokenEndpoint(params: URLSearchParams): URL | undefined {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="concord-token-url"]')?.content;
  if (meta) return new URL(meta, location.href);
  const fromQuery = params.get('tokenUrl');
  if (!fromQuery) return undefined;
  const url = new URL(fromQuery, location.href);
  return url.origin === location.origin ? url : undefined;
}

async function fetchToken(endpoint: URL, name: string): Promise<string> {
  const url = new URL(endpoint);
  url.searchParams.set('name', name);
  const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
  const body = (response.headers.get('content-type') ?? '').includes('json')
    ? ((await response.json()) as { token?: unknown }).token
    : (await response.text()).trim();
  if (typeof body !== 'string' || !body) throw new Error('token endpoint gave no token');
  return body;
}

function showStatus(client: CollabClient): void {
  const badge = document.querySelector<HTMLElement>('#status');
  if (!badge) return;
  const render = (status: ConnectionStatus): void => {
    badge.dataset.state = status.state;
    badge.dataset.pending = String(status.pending);
    const waiting = status.pending === 1 ? '1 edit waiting' : `${status.pending} edits waiting`;
    const label: Record<ConnectionStatus['state'], string> = {
      connecting: 'connecting…', online: 'online', offline: 'offline', unauthenticated: 'not signed in', closed: 'closed',
    };
    badge.textContent = status.pending > 0 ? `${label[status.state]} · ${waiting}` : label[status.state];
  };
  render(client.status);
  client.on('status', render);
}

/** Renders the people list: swatch and name per participant, names as text. */
export function renderPeople(participants: readonly Participant[]): void {
  const list = document.querySelector<HTMLElement>('#people');
  if (!list) return;
  list.replaceChildren(...participants.map((p) => {
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = p.color;
    const label = document.createElement('span');
    label.className = 'person';
    label.textContent = p.name;
    item.append(swatch, label);
    return item;
  }));
}

export function text(selector: string, value: string): void {
  const el = document.querySelector(selector);
  if (el) el.textContent = value;
}

export function onClick(selector: string, fn: () => void): void {
  document.querySelector(selector)?.addEventListener('click', fn);
}

function randomName(): string {
  const animals = ['Otter', 'Heron', 'Lynx', 'Badger', 'Falcon', 'Marten', 'Ibis', 'Gecko'];
  return `${animals[Math.floor(Math.random() * animals.length)] ?? 'Guest'} ${Math.floor(Math.random() * 90 + 10)}`;
}

/** Edits a binding reports as refused or failed (its 'error' event) go to the console, where developers look. */
export function reportErrors(binding: { on(event: 'error', listener: (err: Error) => void): unknown }): void {
  binding.on('error', (err) => console.warn('concord binding:', err.message));
}

/** A page that could not start says so in its badge (as text) and in the console. */
export function showFailure(err: unknown): void {
  console.error('concord demo:', err);
  const badge = document.querySelector<HTMLElement>('#status');
  if (!badge) return;
  badge.dataset.state = 'closed';
  badge.textContent = `error: ${errorMessage(err)}`;
}
