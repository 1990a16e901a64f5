/**
 * The load generator's clients: ShareDB's stock client over `ws` (the types must be registered by the caller),
 * connected in bounded parallel batches, with the documents they edit and the ops they submit.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import ShareDBClient from 'sharedb/lib/client/index.js';

const now = () => performance.now();

// ---------------------------------------------------------------------------------------------------------------
// Clients

/**
 * Connects one stock client and resolves once ShareDB's handshake is done (state `connected`), or rejects after
 * `timeoutMs`. `instance` tags the client with the index of the server URL it went to.
 */
export function connect(url, instance = 0, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
    ws.on('error', () => undefined);
    const conn = new ShareDBClient.Connection(ws);
    conn.on('error', () => undefined);
    const client = { url, ws, conn, instance, docs: [] };
    const timer = setTimeout(() => {
      cleanup();
      try { ws.terminate(); } catch { /* already gone */ }
      reject(new Error(`no ShareDB handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    const onConnected = () => { cleanup(); resolve(client); };
    const onClosed = () => { cleanup(); reject(new Error('socket closed before the handshake')); };
    const onUnexpected = (_req, res) => { cleanup(); reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)); };
    function cleanup() {
      clearTimeout(timer);
      conn.off('connected', onConnected);
      ws.off('close', onClosed);
      ws.off('unexpected-response', onUnexpected);
    }
    conn.on('connected', onConnected);
    ws.on('close', onClosed);
    ws.on('unexpected-response', onUnexpected);
  });
}

/** Connects `count` clients, at most `parallel` handshakes at a time; URL i % urls.length for client i. */
export async function connectMany(urls, count, { parallel = 100, timeoutMs = 60_000 } = {}) {
  const clients = new Array(count);
  const deadline = Date.now() + timeoutMs;
  let next = 0;
  const errors = [];
  const worker = async () => {
    while (next < count && errors.length === 0) {
      if (Date.now() > deadline) throw new Error(`connecting ${count} clients took over ${timeoutMs} ms (${next} started)`);
      const i = next++;
      const instance = i % urls.length;
      try {
        clients[i] = await connect(urls[instance], instance);
      } catch (err) {
        errors.push(`client ${i}: ${err.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  if (errors.length > 0) {
    closeAll(clients.filter(Boolean));
    throw new Error(`could not connect ${count} clients: ${errors[0]}`);
  }
  return clients;
}

export function closeAll(clients) {
  for (const c of clients) {
    try { c.conn.close(); } catch { /* gone */ }
    try { c.ws.terminate(); } catch { /* gone */ }
  }
}

export function cb2p(fn, timeoutMs = 30_000, what = 'request') {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    fn((err, value) => {
      clearTimeout(timer);
      if (err) reject(err instanceof Error ? err : new Error(err.message ?? String(err)));
      else resolve(value);
    });
  });
}

/** A new document's content; `initialBytes` fills a rich-text one with that many characters. */
const INITIAL = {
  json1: () => ({ n: 0, title: 'bench' }),
  'rich-text': (initialBytes = 0) => [{ insert: `${initialBytes > 0 ? 'x'.repeat(initialBytes) : 'Concord bench document'}\n` }],
};

/** Fetches a doc and creates it when it does not exist yet. */
export async function ensureDoc(doc, type, initialBytes = 0) {
  await cb2p((cb) => doc.fetch(cb), 30_000, `fetch ${doc.id}`);
  if (doc.type) return;
  try {
    await cb2p((cb) => doc.create(INITIAL[type](initialBytes), type, cb), 30_000, `create ${doc.id}`);
  } catch (err) {
    // Another client created it first: fine.
    if (!/already|ERR_DOC_ALREADY_CREATED/i.test(`${err.code} ${err.message}`)) throw err;
  }
}

/** The next op a client submits: a json1 counter increment, or a one-character rich-text insert at a random spot. */
export function makeOp(type, doc) {
  if (type === 'json1') return ['n', { ena: 1 }];
  const length = typeof doc.data?.length === 'function' ? doc.data.length() : 0;
  // Keep the final newline last, as Quill does.
  const at = Math.floor(Math.random() * Math.max(1, length));
  return at === 0 ? [{ insert: 'x' }] : [{ retain: at }, { insert: 'x' }];
}

/** Sets up `clients` clients over `docs` docs (client i edits doc i % docs), all subscribed. */
export async function setupEditors(job) {
  const { urls, clients: count, docs: docCount, type, collection, prefix, initialBytes = 0 } = job;
  const clients = await connectMany(urls, count, { parallel: 50 });
  try {
    // Create the documents from the first client of each.
    const creators = [];
    for (let d = 0; d < docCount; d++) creators.push(clients[d % count].conn.get(collection, `${prefix}-${d}`));
    for (let i = 0; i < creators.length; i += 50) {
      await Promise.all(creators.slice(i, i + 50).map((doc) => ensureDoc(doc, type, initialBytes)));
    }
    const docs = clients.map((c, i) => c.conn.get(collection, `${prefix}-${i % docCount}`));
    for (let i = 0; i < docs.length; i += 50) {
      await Promise.all(docs.slice(i, i + 50).map((doc) => cb2p((cb) => doc.subscribe(cb), 30_000, `subscribe ${doc.id}`)));
    }
    clients.forEach((c, i) => { c.doc = docs[i]; });
    return clients;
  } catch (err) {
    closeAll(clients);
    throw err;
  }
}
