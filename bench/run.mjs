#!/usr/bin/env node
/**
 * `npm run bench [-- options]`: stock ShareDB against Concord's standalone server, side by side in one run.
 *
 * Every server runs in its own child process (node --expose-gc -r bench/gc-hook.cjs), and every client in a
 * separate load-generator child (bench/loadgen.mjs). Per scenario the targets alternate (stock, Concord memory,
 * Concord SQLite DURABILITY=process, Concord SQLite DURABILITY=power; the order rotates per repetition), then a
 * table of medians and Concord/stock ratios is printed and written to bench/results/<timestamp>.json.
 *
 * Options:
 *   --quick            every scenario for ~1 s with reduced client counts (CI); under ~2 minutes
 *   --reps N           repetitions of the throughput scenarios and of idle-1000 (median reported)
 *   --duration S       measured seconds of every throughput / latency run (after a warm-up)
 *   --only a,b         only these scenario ids (see --list)
 *   --targets a,b      only these targets: stock, memory, sqlite-process, sqlite-power
 *   --data-dir DIR     where the SQLite servers keep their data (default bench/results/data-<timestamp>; tmpfs refused)
 *   --list             list the scenarios and exit
 *
 * Exit status: 0 when the harness ran (missed targets and a refused tmpfs data folder included); 1 when a run failed
 * twice (a server crashed, a client could not connect, a job timed out) or the harness itself broke; 130 on Ctrl-C.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BENCH_DIR, CONCORD_MAIN, ROOT, fdLimits, fsType, killAll, onCleanup, openLoadgen, redisAvailable, schedstat, setFdLimit,
  startRedis, startServer,
} from './lib/procs.mjs';
import { buildScenarios, LIMIT_PROFILES, TARGETS } from './lib/scenarios.mjs';
import { renderReport } from './lib/report.mjs';
import { latencyBetween, scrapeLatency } from './lib/server-metrics.mjs';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    duration: { type: 'string' },
    only: { type: 'string' },
    targets: { type: 'string' },
    'data-dir': { type: 'string' },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (args.help) {
  process.stdout.write('usage: npm run bench [-- --quick] [--reps N] [--duration S] [--only ids] [--targets names] [--data-dir DIR] [--list]\n');
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------------------------
// Exit paths: children are killed whatever happens.

let interrupted = false;
process.on('exit', () => killAll());
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}: stopping every child process\n`);
    killAll();
    process.exit(130);
  });
}

const log = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');

const scenarios = buildScenarios({
  quick: args.quick,
  reps: args.reps === undefined ? undefined : Number(args.reps),
  durationSec: args.duration === undefined ? undefined : Number(args.duration),
});
if (args.list) {
  for (const s of scenarios) log(`${s.id.padEnd(16)} ${s.title}`);
  process.exit(0);
}
const only = args.only?.split(',').map((s) => s.trim()).filter(Boolean);
if (only) {
  const unknown = only.filter((id) => !scenarios.some((s) => s.id === id));
  if (unknown.length) {
    process.stderr.write(`bench: unknown scenario ${unknown.join(', ')} (see --list)\n`);
    process.exit(1);
  }
}
const wantedTargets = args.targets?.split(',').map((s) => s.trim()).filter(Boolean) ?? Object.keys(TARGETS);
for (const t of wantedTargets) {
  if (!TARGETS[t]) {
    process.stderr.write(`bench: unknown target ${t} (stock, memory, sqlite-process, sqlite-power)\n`);
    process.exit(1);
  }
}
if (args.reps !== undefined && !(Number(args.reps) >= 1 && Number(args.reps) <= 10)) {
  process.stderr.write('bench: --reps must be 1..10\n');
  process.exit(1);
}
if (args.duration !== undefined && !(Number(args.duration) > 0 && Number(args.duration) <= 120)) {
  process.stderr.write('bench: --duration must be in (0, 120] seconds\n');
  process.exit(1);
}

async function main() {
  // ---- preflight ----------------------------------------------------------------------------------------------
  if (!existsSync(CONCORD_MAIN) || !existsSync(join(ROOT, 'shared', 'dist', 'index.js'))) {
    throw new Error(`${CONCORD_MAIN} or shared/dist is missing: run \`npm run build\` first`);
  }
  const selected = scenarios.filter((s) => !only || only.includes(s.id));
  const maxConnections = Math.max(...selected.map((s) => s.job?.clients ?? 0), 0);
  const fd = fdLimits(maxConnections + 2_000);
  setFdLimit(fd.effective);
  // Each process holds one descriptor per connection plus its own (~100): lower a count that would not fit.
  const lowered = [];
  for (const s of selected) {
    if (s.job?.clients && s.job.clients + 500 > fd.effective) {
      const from = s.job.clients;
      s.job.clients = Math.max(100, fd.effective - 500);
      s.title = s.title.replace(from.toLocaleString('en-US'), s.job.clients.toLocaleString('en-US'));
      lowered.push(`${s.id}: ${from} → ${s.job.clients} clients`);
    }
  }
  const load0 = loadavg()[0];

  const dataDir = resolve(args['data-dir'] ?? join(BENCH_DIR, 'results', `data-${stamp}`));
  mkdirSync(dataDir, { recursive: true });
  const ownDataDir = !args['data-dir'];
  onCleanup(() => { if (ownDataDir) rmSync(dataDir, { recursive: true, force: true }); });
  const dataFs = fsType(dataDir);
  const tmpfs = /^(tmpfs|ramfs)$/i.test(dataFs);
  const refused = new Set();
  if (tmpfs) for (const t of ['sqlite-process', 'sqlite-power']) refused.add(t);

  log(`Concord bench ${args.quick ? '(--quick) ' : ''}— ${startedAt.toISOString()}`);
  log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB; load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  if (load0 > cpus().length) log(`WARNING: the machine is busy (1-min load ${load0.toFixed(1)} on ${cpus().length} CPUs): figures below are not representative`);
  log(`file descriptors: ulimit -n soft ${fd.soft}, hard ${fd.hard}; children run with soft limit ${fd.effective} (largest scenario needs ~${maxConnections} per process)`);
  if (lowered.length) log(`WARNING: file-descriptor limit too low, client counts lowered: ${lowered.join('; ')}`);
  log(`SQLite data folder: ${dataDir} — filesystem ${dataFs}${tmpfs ? ' — REFUSED for durability runs (tmpfs keeps nothing across power loss); pass --data-dir on a disk' : ''}`);
  log('limits profiles (Concord; stock ShareDB has no limits):');
  for (const [name, p] of Object.entries(LIMIT_PROFILES)) log(`  ${name.padEnd(4)} ${p.describe}`);
  log('Concord servers: node --expose-gc -r bench/gc-hook.cjs server/dist/main.js, LOG_LEVEL=warn, no auth, dev mode');
  log('');

  const record = {
    startedAt: startedAt.toISOString(), quick: args.quick, argv: process.argv.slice(2),
    machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, loadavgStart: loadavg() },
    fdLimits: fd, loweredForFdLimit: lowered, dataDir, dataFs, refused: [...refused], limitProfiles: LIMIT_PROFILES,
    scenarios: {},
  };
  let failures = 0;

  for (const scenario of selected) {
    if (interrupted) break;
    const targets = scenario.targets.filter((t) => wantedTargets.includes(t));
    if (targets.length === 0) {
      log(`▷ ${scenario.title}  [${scenario.id}]: not run (--targets leaves none of ${scenario.targets.join(', ')})`);
      continue;
    }
    const skipped = {};
    for (const t of targets) if (refused.has(t)) skipped[t] = `refused: data folder on ${dataFs}`;
    if (scenario.needsRedis && !redisAvailable()) for (const t of targets) skipped[t] = 'redis-server not installed';
    const runnable = targets.filter((t) => !skipped[t]);
    const limitsLine = `limits: ${scenario.limits} (${LIMIT_PROFILES[scenario.limits].short})`;
    log(`▶ ${scenario.title}  [${scenario.id}; ${limitsLine}; ${scenario.describe}]`);
    const entry = {
      title: scenario.title, limits: scenario.limits, describe: scenario.describe, clients: scenario.job?.clients ?? null,
      targets: {}, skipped,
    };
    record.scenarios[scenario.id] = entry;
    for (const [t, why] of Object.entries(skipped)) log(`   ${t}: skipped (${why})`);
    const t0 = Date.now();
    try {
      const runs = await runScenario(scenario, runnable, dataDir);
      for (const t of runnable) {
        entry.targets[t] = runs[t];
        if (runs[t].failedReps > 0) failures++;
      }
    } catch (err) {
      failures++;
      entry.error = err.message;
      log(`   ERROR: ${brief(err.message)}`);
    }
    log(`   (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }

  record.machine.loadavgEnd = loadavg();
  record.finishedAt = new Date().toISOString();
  record.elapsedSec = Math.round((Date.now() - startedAt.getTime()) / 1000);
  const report = renderReport(record, scenarios, { quick: args.quick });
  record.table = report.rows;
  record.stockCheck = report.stockCheck;
  record.targetsCheck = report.targetsCheck;
  log('');
  log(report.text);
  log(`elapsed ${record.elapsedSec} s; load average at the end ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  const outDir = join(BENCH_DIR, 'results');
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, `${stamp}.json`);
  writeFileSync(outFile, `${JSON.stringify(record, null, 2)}\n`);
  log(`results written to ${outFile}`);
  if (failures > 0) {
    log(`bench: ${failures} scenario/target run(s) failed (see ERROR lines above)`);
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------

/** An error's first line and, for a child's output appended to it, that output's last line. */
function brief(message) {
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length > 1 ? `${lines[0]} … ${lines[lines.length - 1].slice(0, 300)}` : (lines[0] ?? '');
}

/** A new folder for one server's data, removed when the bench exits (also inside a --data-dir of the user's). */
function ownFolder(prefix) {
  const folder = mkdtempSync(prefix);
  onCleanup(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

/** Starts one server for a target (a fresh data folder for SQLite). */
function startTarget(target, scenario, dataDir, extraEnv = {}, label = target) {
  const def = TARGETS[target];
  if (def.kind === 'stock') return startServer({ kind: 'stock', label: `stock (${scenario.id})` });
  if (def.kind === 'bare') return startServer({ kind: 'bare', label: `bare ws (${scenario.id})` });
  const env = { LOG_LEVEL: 'warn', STORAGE: def.storage, ...LIMIT_PROFILES[scenario.limits].env, ...extraEnv };
  if (def.storage === 'sqlite') {
    env.DATA_DIR = extraEnv.DATA_DIR ?? ownFolder(join(dataDir, `${scenario.id}-${target}-`));
    env.DURABILITY = def.durability;
  }
  return startServer({ kind: 'concord', env, label: `concord ${label} (${scenario.id})` });
}

async function runScenario(scenario, targets, dataDir) {
  if (scenario.kind === 'two-instance') return runTwoInstance(scenario, targets, dataDir);
  const out = Object.fromEntries(targets.map((t) => [t, { runs: [], errors: [], failedReps: 0 }]));
  const servers = {};
  let loadgen;
  const stopAll = async () => Promise.all([...Object.values(servers).map((s) => s?.stop()), loadgen?.close()]);
  try {
    // One fresh server per target and one load generator for the scenario, started together; then the targets
    // alternate.
    const [lg, ...started] = await Promise.allSettled([openLoadgen({ label: `loadgen (${scenario.id})` }),
      ...targets.map((t) => startTarget(t, scenario, dataDir))]);
    if (lg.status === 'rejected') throw lg.reason;
    loadgen = lg.value;
    started.forEach((r, i) => {
      if (r.status === 'fulfilled') servers[targets[i]] = r.value;
      else {
        out[targets[i]].errors.push(`start: ${r.reason.message}`);
        out[targets[i]].failedReps = scenario.reps;
        log(`   ${targets[i].padEnd(15)} ERROR: could not start: ${brief(r.reason.message)}`);
      }
    });
    for (let rep = 0; rep < scenario.reps; rep++) {
      const order = targets.map((_, i) => targets[(i + rep) % targets.length]);
      for (const t of order) {
        if (interrupted) return out;
        if (!servers[t]) continue;
        let result;
        for (let attempt = 1; attempt <= 2 && !result; attempt++) {
          try {
            if (!servers[t].alive()) {
              out[t].errors.push(`server died: ${servers[t].output().slice(-500)}`);
              servers[t] = await startTarget(t, scenario, dataDir);
            } else if (scenario.freshServerPerRep && (rep > 0 || attempt > 1)) {
              // Memory scenarios: a server that already held the last rep's clients has grown its tables and
              // compiled its code, so a second rep on it measures less than a first.
              await servers[t].stop();
              servers[t] = await startTarget(t, scenario, dataDir);
            }
            if (!loadgen.alive()) loadgen = await openLoadgen({ label: `loadgen (${scenario.id})` });
            result = await measured([servers[t].pid], loadgen.pid, () => runJob(loadgen, scenario, t, servers[t], rep, attempt));
            if (!servers[t].alive()) throw new Error(`server exited during the run:\n${servers[t].output().slice(-1000)}`);
          } catch (err) {
            result = undefined;
            out[t].errors.push(`rep ${rep + 1} attempt ${attempt}: ${err.message}`);
            log(`   ${t.padEnd(15)} rep ${rep + 1}: ERROR ${brief(err.message)}${attempt === 1 ? ' — retrying' : ''}`);
          }
        }
        if (!result) out[t].failedReps++;
        if (result) {
          out[t].runs.push(result);
          log(`   ${t.padEnd(15)} rep ${rep + 1}: ${scenario.summarize(result)}${cpuNote(result.cpu)}`);
        }
      }
    }
    return out;
  } finally {
    await stopAll();
  }
}

/**
 * Runs `fn` and adds `cpu` to its result: CPU seconds the servers and the load generator ran, and seconds they sat
 * runnable waiting for a CPU (run-queue wait, from schedstat). `starved` when they waited longer than they ran.
 */
async function measured(serverPids, loadgenPid, fn) {
  const take = () => ({ servers: serverPids.map(schedstat), loadgen: schedstat(loadgenPid), t: Date.now() });
  const a = take();
  const result = await fn();
  const b = take();
  const sum = (list, k) => list.reduce((acc, x) => acc + (x?.[k] ?? 0), 0);
  const server = { run: sum(b.servers, 'run') - sum(a.servers, 'run'), wait: sum(b.servers, 'wait') - sum(a.servers, 'wait') };
  const lg = a.loadgen && b.loadgen ? { run: b.loadgen.run - a.loadgen.run, wait: b.loadgen.wait - a.loadgen.wait } : null;
  const r2 = (v) => Math.round(v * 100) / 100;
  result.cpu = {
    wallSec: r2((b.t - a.t) / 1000),
    serverRunSec: r2(server.run), serverWaitSec: r2(server.wait),
    loadgenRunSec: lg ? r2(lg.run) : null, loadgenWaitSec: lg ? r2(lg.wait) : null,
  };
  result.cpu.starved = server.wait + (lg?.wait ?? 0) > server.run + (lg?.run ?? 0);
  return result;
}

function cpuNote(cpu) {
  if (!cpu) return '';
  return ` [cpu run/wait: server ${cpu.serverRunSec}/${cpu.serverWaitSec} s, loadgen ${cpu.loadgenRunSec}/${cpu.loadgenWaitSec} s${cpu.starved ? ' — CPU-STARVED' : ''}]`;
}

/** What V8's young generation is back to when it has given back what it grew (it starts at 1 MiB or less). */
const YOUNG_SETTLED_BYTES = 2 * 2 ** 20;

/**
 * A memory checkpoint: VmRSS after a forced GC. With `settleMs` > 0, the forced GC is repeated every 0.5 s, for up
 * to `settleMs`, until V8's young generation is back to at most 2 MiB: V8 grows it during a burst of allocation (the
 * connects) and gives it back at GCs once the allocation rate has stayed low (halving it at each), which on an idle
 * server happens by itself within some 20 s (its memory reducer), so an idle server's RSS is measured, not the
 * burst's leftover.
 */
async function memoryCheckpoint(server, settleMs) {
  const started = Date.now();
  let m = await server.gcRss();
  while (settleMs > 0 && m.young != null && m.young > YOUNG_SETTLED_BYTES && Date.now() - started < settleMs) {
    await sleep(500);
    m = await server.gcRss();
  }
  return {
    ...m, settleSec: Math.round((Date.now() - started) / 100) / 10,
    youngSettled: m.young == null ? false : m.young <= YOUNG_SETTLED_BYTES,
  };
}

/** The share of one CPU the server used over `ms` in which its clients sent nothing (it only pings them). */
async function idleCpu(pid, ms) {
  const a = schedstat(pid);
  await sleep(ms);
  const b = schedstat(pid);
  return a && b ? Math.round(((b.run - a.run) / (ms / 1000)) * 1000) / 10 : null;
}

/** One load-generator run against one server. */
async function runJob(loadgen, scenario, target, server, rep, attempt) {
  const job = {
    ...scenario.job, urls: [server.wsUrl], url: server.wsUrl, collection: 'bench',
    prefix: `${scenario.id}-${target}-r${rep}-a${attempt}`,
  };
  if (scenario.kind === 'idle') {
    const mem = {};
    let idleCpuPct = null;
    const result = await loadgen.run(job, {
      timeoutMs: scenario.timeoutMs,
      onCheckpoint: async (name) => {
        mem[name] = await memoryCheckpoint(server, scenario.youngSettleMs ?? 0);
        if (name === 'loaded' && scenario.idleCpuMs) idleCpuPct = await idleCpu(server.pid, scenario.idleCpuMs);
        return {};
      },
    });
    const forcedGc = Boolean(mem.baseline?.forcedGc && mem.loaded?.forcedGc);
    const settle = { baselineSettleSec: mem.baseline?.settleSec ?? null, loadedSettleSec: mem.loaded?.settleSec ?? null,
      youngSettled: scenario.youngSettleMs ? Boolean(mem.baseline?.youngSettled && mem.loaded?.youngSettled) : null };
    const delta = mem.loaded?.rss != null && mem.baseline?.rss != null ? mem.loaded.rss - mem.baseline.rss : null;
    const youngDelta = mem.loaded?.young != null && mem.baseline?.young != null ? mem.loaded.young - mem.baseline.young : null;
    const perClient = (bytes) => (bytes === null ? null : Math.round((bytes / result.clients / 1024) * 10) / 10);
    return {
      ...result, ...settle, idleCpuPct,
      rssBaseline: mem.baseline?.rss ?? null, rssLoaded: mem.loaded?.rss ?? null, forcedGc,
      heapBaseline: mem.baseline?.heapUsed ?? null, heapLoaded: mem.loaded?.heapUsed ?? null,
      youngBaseline: mem.baseline?.young ?? null, youngLoaded: mem.loaded?.young ?? null,
      kbPerClient: perClient(delta),
      kbPerClientNoYoung: delta === null || youngDelta === null ? null : perClient(delta - youngDelta),
      heapKbPerClient: perClient(mem.loaded?.heapUsed != null && mem.baseline?.heapUsed != null
        ? mem.loaded.heapUsed - mem.baseline.heapUsed : null),
    };
  }
  if (scenario.kind !== 'paced' || server.kind !== 'concord') return loadgen.run(job, { timeoutMs: scenario.timeoutMs });
  // The server's own part of the latency over the measured window: its /metrics histograms at the window's marks.
  const scrapes = {};
  const onMark = (name) => { scrapes[name] = scrapeLatency(server.httpUrl); };
  const result = await loadgen.run(job, { timeoutMs: scenario.timeoutMs, onMark });
  return { ...result, server: latencyBetween(await scrapes['window-start'], await scrapes['window-end']) };
}

/**
 * Two Concord instances on one SQLite data folder and one private Redis (unix socket): a closed-loop hot document
 * with its clients split over both (limits off), then the realistic paced load split over both (limits on).
 */
async function runTwoInstance(scenario, targets, dataDir) {
  const out = Object.fromEntries(targets.map((t) => [t, { runs: [], errors: [], failedReps: 0 }]));
  for (const t of targets) {
    if (interrupted) break;
    let redis;
    let loadgen;
    const servers = [];
    try {
      [redis, loadgen] = await Promise.all([startRedis(), openLoadgen({ label: `loadgen (${scenario.id})` })]);
      const result = {};
      for (const phase of scenario.phases) {
        const folder = ownFolder(join(dataDir, `${scenario.id}-${t}-${phase.name}-`));
        const phaseScenario = { ...scenario, limits: phase.limits };
        const pair = [];
        // One after the other: the first creates the schema.
        for (let i = 0; i < 2; i++) {
          const s = await startTarget(t, phaseScenario, dataDir, { DATA_DIR: folder, REDIS_URL: redis.url }, `${t} #${i + 1}`);
          servers.push(s);
          pair.push(s);
        }
        const job = { ...phase.job, urls: pair.map((s) => s.wsUrl), collection: 'bench', prefix: `${scenario.id}-${t}-${phase.name}` };
        result[phase.name] = await measured(pair.map((s) => s.pid), loadgen.pid,
          () => loadgen.run(job, { timeoutMs: scenario.timeoutMs }));
        for (const s of pair) if (!s.alive()) throw new Error(`an instance exited during ${phase.name}:\n${s.output().slice(-1000)}`);
        await Promise.all(pair.map((s) => s.stop()));
      }
      out[t].runs.push(result);
      log(`   ${t.padEnd(15)}: ${scenario.summarize(result)}${cpuNote(result.hot?.cpu)}`);
    } catch (err) {
      out[t].errors.push(err.message);
      out[t].failedReps++;
      log(`   ${t.padEnd(15)}: ERROR ${brief(err.message)}`);
    } finally {
      await Promise.all([...servers.map((s) => s.stop()), loadgen?.close()]);
      await redis?.stop();
    }
  }
  return out;
}

main().then(
  (code) => { killAll(); process.exit(code); },
  (err) => {
    process.stderr.write(`bench: harness failure: ${err?.stack ?? err}\n`);
    killAll();
    process.exit(1);
  },
);
