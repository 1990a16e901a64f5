// Bundles the demo pages (client/src/demo/*-page.ts) for the browser into client/demo/build/, which the standalone
// server serves at `/`. Run by the root build after `tsc -b`: `npm run bundle -w client`.
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}demo/build`;

/** ShareDB's client needs Node's `events`; in the browser that is the `events` package. */
const eventsPackage = {
  name: 'events-package',
  setup(b) {
    const path = require.resolve('events/events.js');
    b.onResolve({ filter: /^(node:)?events$/ }, () => ({ path }));
  },
};

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/demo/rich-text-page.ts', 'src/demo/whiteboard-page.ts', 'src/demo/pad-page.ts'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
  plugins: [eventsPackage],
  // ot-json1 reads this at import; browsers have no `process`.
  define: { 'process.env.JSON1_RELEASE_MODE': 'undefined' },
});
await copyFile(require.resolve('quill/dist/quill.snow.css'), `${outdir}/quill.snow.css`);
console.log(`demo bundled into ${outdir}`);
