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
import { closeAll, cb2p, connect, connectMany, ensureDoc, makeOp, setupEditors } from './lib/editors.mjs';
import { round, Samples, Tracker } from './lib/tracker.mjs';

registerTypes(ShareDBClient.types);

const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** No loop here runs more ops than this, whatever the duration. */
const MAX_OPS_PER_CLIENT = 5_000_000;

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
  // run.mjs reads the server's own latency histograms over the measured window (not awaited: the load goes on).
  const marks = [setTimeout(() => process.send({ type: 'mark', name: 'window-start' }), job.warmupMs),
    setTimeout(() => process.send({ type: 'mark', name: 'window-end' }), job.warmupMs + job.durationMs)];
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
 * the `loaded` checkpoint, checks they are all still open, closes them. `idleMs`: how long the server is left without
 * traffic before each checkpoint (see the idle-1000 scenario).
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
  }
  await sleep(job.idleMs ?? 500);
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
    await sleep(Math.max(job.settleMs ?? 1000, job.idleMs ?? 0));
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
