import { defineConfig } from 'vitest/config';

// The two-worker run of test/testing-parallel.e2e.test.ts: each file in a process of its
// own (forks), both at once. No alias: `esteps/testing` resolves as in a user's project,
// through node_modules/esteps to the built package.
export default defineConfig({
  test: {
    include: ['*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    testTimeout: 600_000,
  },
});
