import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Five projects, in this order: `unit` is pure logic beside its code and needs no engine;
// `e2e` drives the real Docker engine that `npm run setup` prepared, and fails (never skips)
// without one; `faults` breaks running stacks on purpose (kills, full disks, interrupted
// runs, generated bad input), one file at a time; `swarm` brings up test Swarms (npm run
// swarm:up) of engines in containers of that engine, one file at a time, each removing its
// cluster even on failure; `engine-restart` stops and starts the Docker engine itself, so it
// runs last, when nothing else is using the engine.
export default defineConfig({
  // Stacks import their API as a user's stack does (`from 'esteps'`): the source, here.
  resolve: { alias: { esteps: fileURLToPath(new URL('./stacks/api/index.ts', import.meta.url)) } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Unit tests first (fast feedback), then the end-to-end tests with their own workers.
          sequence: { groupOrder: 0 },
          // A few start Node.js or esbuild: seconds on a busy two-core machine, not five.
          testTimeout: 20_000,
          include: [
            'cli/**/*.test.ts',
            'stacks/**/*.test.ts',
            'service/**/*.test.ts',
            'scripts/**/*.test.ts',
          ],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          sequence: { groupOrder: 1 },
          include: ['test/**/*.e2e.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // Two cores: containers, builds and load generators compete for them.
          maxWorkers: 2,
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          sequence: { groupOrder: 2 },
          include: ['test/faults/*.faults.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // One fault at a time: each measures recovery, which a neighbour's load would skew.
          maxWorkers: 1,
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'swarm',
          sequence: { groupOrder: 3 },
          include: ['test/**/*.swarm.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          // One cluster at a time: three engines already share two cores.
          maxWorkers: 1,
          globalSetup: ['test/swarm-global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'engine-restart',
          // Last: it stops the engine every other project uses.
          sequence: { groupOrder: 4 },
          include: ['test/faults/engine-restart.engine.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          maxWorkers: 1,
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
