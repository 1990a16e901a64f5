/**
 * Bench-only preload (`node --expose-gc -r bench/gc-hook.cjs <server>`): on SIGUSR2 the process runs a full GC
 * (twice, so objects freed by finalizers of the first pass go too) and writes one line to stderr,
 * `BENCHGC {"rss":...,"heapUsed":...}`, which the bench waits for before it reads VmRSS from /proc/<pid>/status.
 * It changes nothing else in the server it is loaded into.
 */
'use strict';
process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') {
    global.gc();
    global.gc();
  }
  const m = process.memoryUsage();
  process.stderr.write(`BENCHGC ${JSON.stringify({ gc: typeof global.gc === 'function', rss: m.rss, heapUsed: m.heapUsed, external: m.external })}\n`);
});
