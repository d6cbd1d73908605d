/**
 * Parallel by default: two vitest workers (test/testing-workers/, processes of their own)
 * bring step 1 up at the same moment through the built package, each with a project and a
 * host port of its own, and each reads its own users; both stacks are gone afterwards.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/engine.js';
import { engineLeftovers } from './support/leftovers.js';
import type { WorkerReport } from './testing-workers/worker.js';

describe('esteps/testing in parallel', () => {
  it('lets two vitest workers bring step 1 up at once, each reading its own users', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'esteps-workers-'));
    try {
      const run = await execa(
        'node',
        [
          join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'),
          'run',
          '--config',
          join(repoRoot, 'test', 'testing-workers', 'vitest.config.ts'),
          '--root',
          join(repoRoot, 'test', 'testing-workers'),
        ],
        { cwd: repoRoot, env: { WORKERS_DIR: dir, NO_COLOR: '1' }, reject: false },
      );
      expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
      const [a, b] = await Promise.all(
        ['a', 'b'].map(
          async (name) =>
            JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as WorkerReport,
        ),
      );
      expect(a!.pid).not.toBe(b!.pid);
      expect(a!.project).not.toBe(b!.project);
      expect([a!.fullname, b!.fullname]).toEqual(['Alice of a', 'Alice of b']);
      // The two ups overlapped: each started before the other was ready.
      expect(a!.startedAt).toBeLessThan(b!.readyAt);
      expect(b!.startedAt).toBeLessThan(a!.readyAt);
      expect(await engineLeftovers(a!.project)).toEqual([]);
      expect(await engineLeftovers(b!.project)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
