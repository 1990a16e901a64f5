// `npm test` after the build: every suite in turn (one at a time: the multi-process and browser suites time out on
// two cores when run beside others), a pass count per suite, and a total line. Exits non-zero if any suite failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const RESULTS = 'artifacts/test-results';
const vitest = (name, dir, extra = []) => ({
  name,
  dir,
  cmd: 'npx',
  args: ['vitest', 'run', dir, '--reporter=default', '--reporter=json', `--outputFile.json=${RESULTS}/${name}.json`, ...extra],
  counts: () => {
    const file = `${RESULTS}/${name}.json`;
    if (!existsSync(file)) return undefined;
    const r = JSON.parse(readFileSync(file, 'utf8'));
    return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests };
  },
});
const SUITES = [
  vitest('unit', 'test/unit'),
  vitest('integration', 'test/integration'),
  vitest('hostile', 'test/hostile'),
  vitest('multiprocess', 'test/multiprocess', ['--no-file-parallelism']),
  vitest('browser', 'test/browser', ['--no-file-parallelism']),
  {
    name: 'conformance',
    dir: 'test/contract',
    cmd: 'npx',
    args: ['mocha', '--reporter', 'dot', 'test/contract/sharedb-db.conformance.cjs'],
    counts: (out) => {
      const n = (word) => Number(new RegExp(`(\\d+) ${word}`).exec(out)?.[1] ?? 0);
      return /\d+ passing/.test(out) ? { passed: n('passing'), failed: n('failing'), skipped: n('pending') } : undefined;
    },
  },
];

const only = process.argv.slice(2);
rmSync(RESULTS, { recursive: true, force: true });
mkdirSync(RESULTS, { recursive: true });
const rows = [];
for (const suite of SUITES) {
  if (only.length > 0 && !only.includes(suite.name)) continue;
  if (!existsSync(suite.dir)) continue;
  const started = Date.now();
  console.log(`\n=== suite ${suite.name}: ${suite.cmd} ${suite.args.join(' ')}`);
  const run = spawnSync(suite.cmd, suite.args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  process.stdout.write(run.stdout ?? '');
  const counts = suite.counts(run.stdout ?? '') ?? { passed: 0, failed: 1, skipped: 0 };
  if (run.status !== 0 && counts.failed === 0) counts.failed = 1; // a crash or a failing hook counts as a failure
  rows.push({ name: suite.name, ...counts, seconds: Math.round((Date.now() - started) / 1000) });
}

console.log('\n=== summary');
for (const r of rows) {
  console.log(`${r.name.padEnd(12)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(3)} failed ${String(r.skipped).padStart(3)} skipped  ${r.seconds}s`);
}
const total = rows.reduce((t, r) => ({ passed: t.passed + r.passed, failed: t.failed + r.failed, skipped: t.skipped + r.skipped }), { passed: 0, failed: 0, skipped: 0 });
console.log(`total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);
