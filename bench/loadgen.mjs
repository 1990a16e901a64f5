/**
 * The load generator: a child process of bench/run.mjs (over IPC) that holds every bench client, so no client runs
 * in a server's process. It runs one job at a time: it receives `{ type: 'job', job }`, runs it and answers
 * `{ type: 'result', result }` (or `{ type: 'error' }`), then waits for the next job or `{ type: 'exit' }`. Jobs that need the server measured part-way (idle memory) send
 * `{ type: 'checkpoint', name }` and wait for `{ type: 'continue' }`.
 *
 * Clients are ShareDB's stock client over `ws`, with the types of @concord/shared registered. Latency is measured
 * in this one process (one clock): ack = send of the op message → the server's ack; remote delivery = send of the
 * op message → receipt of that op (matched by the server-assigned `src` and the client `seq`) at another client.
 * All traffic goes to the URLs run.mjs passes (127.0.0.1 only); every loop is bounded in count and in time.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import ShareDBClient from 'sharedb/lib/client/index.js';
import { registerTypes } from '@concord/shared';
import { broadcast } from './lib/broadcast-job.mjs';

registerTypes(ShareDBClient.types);

const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** No loop here runs more ops than this, whatever the duration. */
const MAX_OPS_PER_CLIENT = 5_000_000;

// ---------------------------------------------------------------------------------------------------------------
// Samples and percentiles (a bounded reservoir, so memory stays flat on long runs)

class Samples {
  constructor(cap = 200_000) {
    this.cap = cap;
    this.values = new Float64Array(cap);
    this.n = 0; // stored
    this.seen = 0;
  }
  add(v) {
    this.seen++;
    if (this.n < this.cap) this.values[this.n++] = v;
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.cap) this.values[j] = v;
    }
  }
  summary() {
    if (this.n === 0) return { count: this.seen, p50: null, p99: null, max: null };
    const sorted = this.values.slice(0, this.n).sort();
    const at = (q) => sorted[Math.min(this.n - 1, Math.floor(q * this.n))];
    return { count: this.seen, p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted[this.n - 1]) };
  }
}
const round = (v) => Math.round(v * 1000) / 1000;

// ---------------------------------------------------------------------------------------------------------------
// Clients

/**
 * Connects one stock client and resolves once ShareDB's handshake is done (state `connected`), or rejects after
 * `timeoutMs`. `instance` tags the client with the index of the server URL it went to.
 */
function connect(url, instance = 0, timeoutMs = 15_000) {
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
async function connectMany(urls, count, { parallel = 100, timeoutMs = 60_000 } = {}) {
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

function closeAll(clients) {
  for (const c of clients) {
    try { c.conn.close(); } catch { /* gone */ }
    try { c.ws.terminate(); } catch { /* gone */ }
  }
}

function cb2p(fn, timeoutMs = 30_000, what = 'request') {
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
async function ensureDoc(doc, type, initialBytes = 0) {
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
function makeOp(type, doc) {
  if (type === 'json1') return ['n', { ena: 1 }];
  const length = typeof doc.data?.length === 'function' ? doc.data.length() : 0;
  // Keep the final newline last, as Quill does.
  const at = Math.floor(Math.random() * Math.max(1, length));
  return at === 0 ? [{ insert: 'x' }] : [{ retain: at }, { insert: 'x' }];
}

// ---------------------------------------------------------------------------------------------------------------
// Op tracking: who sent what when, and who received it

/**
 * Tracks ops by `src:seq`. `send` events give the send time; `receive` events give acks (the sender's own op echo
 * without `op`) and remote deliveries (an op from another connection). Counts only within [windowStart, windowEnd).
 */
class Tracker {
  constructor(window) {
    this.window = window;
    this.sent = new Map(); // key → { t, instance, remaining }
    this.ack = new Samples();
    this.remote = new Samples();
    this.remoteSame = new Samples();
    this.remoteCross = new Samples();
    this.acks = 0;
    this.deliveries = 0;
    this.errors = 0;
    this.errorSamples = [];
    this.late = 0;
  }
  inWindow(t) {
    return t >= this.window.start && t < this.window.end;
  }
  attach(client, recipientsPerOp) {
    const { conn } = client;
    conn.on('send', (m) => {
      if (m.a !== 'op' || m.op === undefined) return;
      this.sent.set(`${conn.id}:${m.seq}`, { t: now(), instance: client.instance, remaining: recipientsPerOp, acked: false });
      if (this.sent.size > 500_000) this.sent.clear(); // bound: never reached in a sane run
    });
    conn.on('receive', (req) => {
      const m = req.data;
      if (!m || m.a !== 'op') return;
      const t = now();
      const key = `${m.src}:${m.seq}`;
      const entry = this.sent.get(key);
      if (m.src === conn.id) {
        // The ack of our own op (the server echoes src/seq without the op). Acks end the window count.
        if (m.error || !entry) return;
        if (this.inWindow(t)) {
          this.acks++;
          this.ack.add(t - entry.t);
        }
        entry.acked = true;
        if (entry.remaining <= 0) this.sent.delete(key);
        return;
      }
      if (m.op === undefined) return;
      if (!entry) return;
      if (this.inWindow(t)) {
        this.deliveries++;
        const dt = t - entry.t;
        this.remote.add(dt);
        (entry.instance === client.instance ? this.remoteSame : this.remoteCross).add(dt);
      }
      if (--entry.remaining <= 0 && entry.acked) this.sent.delete(key);
    });
  }
  error(err) {
    this.errors++;
    if (this.errorSamples.length < 5) this.errorSamples.push(String(err?.message ?? err));
  }
  result(windowMs, extra = {}) {
    const s = windowMs / 1000;
    return {
      windowSec: round(s),
      acked: this.acks,
      opsPerSec: Math.round(this.acks / s),
      deliveries: this.deliveries,
      deliveriesPerSec: Math.round(this.deliveries / s),
      ackMs: this.ack.summary(),
      remoteMs: this.remote.summary(),
      remoteSameInstanceMs: this.remoteSame.summary(),
      remoteCrossInstanceMs: this.remoteCross.summary(),
      errors: this.errors,
      errorSamples: this.errorSamples,
      late: this.late,
      ...extra,
    };
  }
}

/** Sets up `clients` clients over `docs` docs (client i edits doc i % docs), all subscribed. */
async function setupEditors(job) {
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

/** Waits (bounded) until every doc has no op in flight or pending. */
async function drain(clients, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (clients.every((c) => !c.doc.hasWritePending())) return true;
    await sleep(20);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Jobs

/**
 * Closed loop: every client submits, waits for its ack, submits again, for warmupMs + durationMs. Figures count
 * only the measured window after the warm-up.
 */
async function closedLoop(job) {
  const clients = await setupEditors(job);
  const perDoc = Math.ceil(job.clients / job.docs);
  const window = { start: Infinity, end: Infinity };
  const tracker = new Tracker(window);
  for (const c of clients) tracker.attach(c, perDoc - 1);
  let stop = false;
  const loops = clients.map((c) => new Promise((resolve) => {
    let n = 0;
    const step = () => {
      if (stop || n++ >= MAX_OPS_PER_CLIENT) return resolve();
      try {
        c.doc.submitOp(makeOp(job.type, c.doc), (err) => {
          if (err) {
            tracker.error(err);
            // A rejected op is not retried at once: back off a little so a broken server cannot spin us.
            setTimeout(step, 10);
            return;
          }
          step();
        });
      } catch (err) {
        tracker.error(err);
        setTimeout(step, 10);
      }
    };
    step();
  }));
  const t0 = now();
  window.start = t0 + job.warmupMs;
  window.end = window.start + job.durationMs;
  await sleep(job.warmupMs + job.durationMs);
  stop = true;
  const clean = await Promise.race([Promise.all(loops).then(() => true), sleep(10_000).then(() => false)]);
  const converged = clean && job.docs === 1 ? await checkConverged(clients) : null;
  closeAll(clients);
  return tracker.result(job.durationMs, { stoppedCleanly: clean, converged });
}

/** All clients of one doc at the same version with the same content (after a bounded wait for in-flight ops). */
async function checkConverged(clients) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const versions = new Set(clients.map((c) => c.doc.version));
    const pending = clients.some((c) => c.doc.hasWritePending());
    if (versions.size === 1 && !pending) {
      const contents = new Set(clients.map((c) => JSON.stringify(c.doc.data)));
      return contents.size === 1;
    }
    await sleep(25);
  }
  return false;
}

/**
 * Paced load: each client sends `ratePerClient` ops/s (random phase), but never before its previous op was acked
 * (an op due while one is in flight goes right after the ack, counted as `late`).
 */
async function paced(job) {
  const clients = await setupEditors(job);
  const perDoc = Math.ceil(job.clients / job.docs);
  const window = { start: Infinity, end: Infinity };
  const tracker = new Tracker(window);
  for (const c of clients) tracker.attach(c, perDoc - 1);
  const interval = 1000 / job.ratePerClient;
  let stop = false;
  const t0 = now();
  window.start = t0 + job.warmupMs;
  window.end = window.start + job.durationMs;
  const loops = clients.map((c) => new Promise((resolve) => {
    let due = t0 + Math.random() * interval;
    let n = 0;
    const fire = () => {
      if (stop || n++ >= MAX_OPS_PER_CLIENT) return resolve();
      try {
        c.doc.submitOp(makeOp(job.type, c.doc), (err) => {
          if (err) tracker.error(err);
          due += interval;
          const wait = due - now();
          if (wait < 0) { tracker.late++; due = now(); }
          setTimeout(fire, Math.max(0, wait));
        });
      } catch (err) {
        tracker.error(err);
        due += interval;
        setTimeout(fire, interval);
      }
    };
    setTimeout(fire, Math.max(0, due - now()));
  }));
  await sleep(job.warmupMs + job.durationMs);
  stop = true;
  const clean = await Promise.race([Promise.all(loops).then(() => true), sleep(10_000).then(() => false)]);
  const converged = clean && job.docs === 1 ? await checkConverged(clients) : null;
  closeAll(clients);
  return tracker.result(job.durationMs, {
    offeredOpsPerSec: job.clients * job.ratePerClient, stoppedCleanly: clean, converged,
  });
}

/**
 * Idle clients: optionally creates one doc per client first (from a few setup connections, then closed), asks for
 * the `baseline` checkpoint, connects `clients` clients each subscribed to its own doc, lets them settle, asks for
 * the `loaded` checkpoint, checks they are all still open, closes them.
 */
async function idle(job) {
  const { url, clients: count, collection, prefix } = job;
  const timing = {};
  if (job.createDocs) {
    const setup = await connectMany([url], 8, { parallel: 8 });
    try {
      let next = 0;
      await Promise.all(setup.map(async (c) => {
        while (next < count) {
          const i = next++;
          const doc = c.conn.get(collection, `${prefix}-${i}`);
          await ensureDoc(doc, 'json1');
          doc.destroy(() => undefined);
        }
      }));
    } finally {
      closeAll(setup);
    }
    await sleep(500);
  }
  await checkpoint('baseline');
  const t0 = now();
  const clients = await connectMany([url], count, { parallel: job.parallel ?? 100, timeoutMs: job.connectTimeoutMs ?? 120_000 });
  timing.connectSec = round((now() - t0) / 1000);
  try {
    const t1 = now();
    for (let i = 0; i < count; i += 200) {
      await Promise.all(clients.slice(i, i + 200).map((c, k) => {
        const doc = c.conn.get(collection, `${prefix}-${i + k}`);
        c.doc = doc;
        return cb2p((cb) => doc.subscribe(cb), 60_000, `subscribe ${doc.id}`);
      }));
    }
    timing.subscribeSec = round((now() - t1) / 1000);
    await sleep(job.settleMs ?? 1000);
    const reply = await checkpoint('loaded');
    void reply;
    const open = clients.filter((c) => c.ws.readyState === WebSocket.OPEN && c.conn.state === 'connected').length;
    // A probe: one op on the first doc reaches its subscriber through the loaded server.
    const probe = await probeRoundTrip(url, collection, `${prefix}-0`, clients[0], job.createDocs);
    return { clients: count, open, ...timing, probe };
  } finally {
    closeAll(clients);
  }
}

/** One op from a fresh client on `id`, and the time until `watcher` (subscribed to it) sees it. */
async function probeRoundTrip(url, collection, id, watcher, exists) {
  const c = await connect(url);
  try {
    const doc = c.conn.get(collection, id);
    if (!exists) await ensureDoc(doc, 'json1');
    else await cb2p((cb) => doc.fetch(cb), 30_000, 'probe fetch');
    const seen = new Promise((resolve) => watcher.doc.once('op', () => resolve(true)));
    const t0 = now();
    await cb2p((cb) => doc.submitOp(['n', { ena: 1 }], cb), 30_000, 'probe op');
    const ok = await Promise.race([seen, sleep(10_000).then(() => false)]);
    return { delivered: ok, ms: ok ? round(now() - t0) : null };
  } catch (err) {
    return { delivered: false, error: err.message };
  } finally {
    closeAll([c]);
  }
}

/**
 * Reconnect storm: `clients` clients over `docs` docs, all subscribed; then every socket is dropped at the same
 * instant and each client reconnects at once (a new socket bound to the same ShareDB connection, which re-does the
 * handshake with its old id and resubscribes). Measures the time until each client has its subscription back, then
 * checks that one op per doc reaches every client.
 */
async function storm(job) {
  const clients = await setupEditors({ ...job, type: 'json1' });
  try {
    const results = new Samples();
    const failedBind = [];
    let failed = 0;
    const t0 = now();
    const done = clients.map((c) => new Promise((resolve) => {
      const onReceive = (req) => {
        const m = req.data;
        if (m && (m.a === 's' || m.a === 'bs')) {
          c.conn.off('receive', onReceive);
          clearTimeout(timer);
          if (m.error) failed++;
          else results.add(now() - t0);
          resolve();
        }
      };
      const timer = setTimeout(() => { c.conn.off('receive', onReceive); failed++; resolve(); }, job.timeoutMs ?? 60_000);
      c.conn.on('receive', onReceive);
    }));
    // Each client reconnects as soon as its old socket reports the close (ShareDB's connection is then
    // `disconnected`, the state a new socket may be bound in).
    for (const c of clients) {
      const old = c.ws;
      old.once('close', () => {
        const ws = new WebSocket(c.url);
        ws.on('error', () => undefined);
        c.ws = ws;
        try {
          c.conn.bindToSocket(ws);
        } catch (err) {
          failedBind.push(err.message);
        }
      });
      old.terminate();
    }
    await Promise.all(done);
    const totalSec = round((now() - t0) / 1000);
    // Liveness after the storm: one op per doc must reach every subscriber.
    const perDocFirst = new Map();
    clients.forEach((c) => { if (!perDocFirst.has(c.doc.id)) perDocFirst.set(c.doc.id, c); });
    const targets = clients.filter((c) => perDocFirst.get(c.doc.id) !== c);
    const seen = targets.map((c) => new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), 15_000);
      c.doc.once('op', () => { clearTimeout(t); resolve(true); });
    }));
    await Promise.all([...perDocFirst.values()].map((c) =>
      cb2p((cb) => c.doc.submitOp(['n', { ena: 1 }], cb), 30_000, 'post-storm op').catch(() => undefined)));
    const delivered = (await Promise.all(seen)).filter(Boolean).length;
    return {
      clients: clients.length, resubscribed: results.seen, failed, bindErrors: failedBind.slice(0, 3), totalSec,
      perClientMs: results.summary(), deliveredAfter: delivered, expectedAfter: targets.length,
    };
  } finally {
    closeAll(clients);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// IPC

let continueWaiter;
function checkpoint(name) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`checkpoint ${name}: no answer from run.mjs`)), 120_000);
    continueWaiter = (msg) => { clearTimeout(timer); resolve(msg); };
    process.send({ type: 'checkpoint', name });
  });
}

const JOBS = { closed: closedLoop, paced, idle, storm, broadcast };

let busy = false;
process.on('message', (msg) => {
  if (msg?.type === 'continue') {
    const w = continueWaiter;
    continueWaiter = undefined;
    w?.(msg);
    return;
  }
  if (msg?.type === 'exit') process.exit(0);
  if (msg?.type !== 'job') return;
  if (busy) {
    process.send({ type: 'error', error: 'a job is already running' });
    return;
  }
  busy = true;
  const run = JOBS[msg.job.kind];
  // A job that overruns its time ends this process: run.mjs sees the exit and reports it.
  const hardLimit = setTimeout(() => {
    process.send({ type: 'error', error: `job ${msg.job.kind} exceeded ${msg.job.hardLimitMs} ms` }, () => process.exit(3));
  }, msg.job.hardLimitMs ?? 300_000);
  Promise.resolve()
    .then(() => {
      if (!run) throw new Error(`unknown job ${msg.job.kind}`);
      return run(msg.job);
    })
    .then(
      (result) => process.send({ type: 'result', result }),
      (err) => process.send({ type: 'error', error: err?.stack ?? String(err) }),
    )
    .finally(() => {
      clearTimeout(hardLimit);
      busy = false;
    });
});
process.on('disconnect', () => process.exit(1));
process.send?.({ type: 'ready' });
