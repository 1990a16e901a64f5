import { defineConfig } from 'vitest/config';

// Tests import the packages' built output (`npm test` runs `tsc -b` first), exactly what users run.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more parallel files than this only makes socket-heavy tests time out.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
