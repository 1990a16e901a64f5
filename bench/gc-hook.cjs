/**
 * Bench-only preload (`node --expose-gc -r bench/gc-hook.cjs <server>`): on SIGUSR2 the process runs a full GC
 * (twice, so objects freed by finalizers of the first pass go too) and writes one line to stderr,
 * `BENCHGC {"rss":...,"heapUsed":...,"young":...}`, which the bench waits for before it reads VmRSS from
 * /proc/<pid>/status. `young` is the memory V8's young generation holds in RSS: V8 sizes it by recent allocation
 * (up to 2 × 16 MiB) and gives it back only at GCs after allocation has stayed low, so a full GC right after a burst
 * leaves it as it was (the idle-1000 scenario repeats the signal until it is given back; see run.mjs).
 * It changes nothing else in the server it is loaded into.
 */
'use strict';
const v8 = require('v8');
const YOUNG = new Set(['new_space', 'new_large_object_space']);
process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') {
    global.gc();
    global.gc();
  }
  const m = process.memoryUsage();
  const young = v8.getHeapSpaceStatistics().filter((s) => YOUNG.has(s.space_name)).reduce((sum, s) => sum + s.physical_space_size, 0);
  process.stderr.write(`BENCHGC ${JSON.stringify({ gc: typeof global.gc === 'function', rss: m.rss, heapUsed: m.heapUsed, external: m.external, young })}\n`);
});
