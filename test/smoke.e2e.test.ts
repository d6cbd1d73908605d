/**
 * `esteps smoke` against a real stack: it passes on a fresh `up`, passes again right after
 * (fresh user names, nothing left behind), fails with SMOKE_FAILED (exit 8) and names the
 * failing checks while Postgres is stopped, and refuses a project that is not up
 * (NOT_RUNNING, exit 10) as `hotpatch` does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esteps, eventually, jsonError, type UpProject, upProject } from './hotpatch-support.js';
import { testEngine, uniqueName } from './support/engine.js';

interface Check {
  name: string;
  ok: boolean;
  durationMs: number;
  expected?: string;
  received?: string;
}

let stack: UpProject | undefined;

describe('esteps smoke', () => {
  beforeAll(async () => {
    stack = await upProject('e2e-smoke');
  });

  afterAll(async () => {
    await stack?.down();
  });

  it('passes against a fresh up, twice in a row', async () => {
    const project = stack!.project;
    for (const round of [1, 2]) {
      const run = await esteps(['smoke', '-p', project, '--json']);
      expect(run.exitCode, `round ${round}: ${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.json.ok).toBe(true);
      expect(run.json.url).toBe(stack!.baseUrl);
      const checks = run.json.checks as Check[];
      expect(checks.map((c) => c.name.replace(/smoke-[0-9a-f]+-/, 'smoke-'))).toEqual([
        'health',
        'create smoke-a',
        'create smoke-b',
        'read smoke-a',
        'read smoke-b',
        'create smoke-a again',
        'login smoke-a',
        'login smoke-a with a wrong password',
        'delete smoke-a',
        'delete smoke-b',
        'read smoke-a after delete',
      ]);
      for (const check of checks) {
        expect(check.ok, check.name).toBe(true);
        expect(check.durationMs).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('fails with SMOKE_FAILED naming the failing check while Postgres is stopped', async () => {
    const { docker } = await testEngine();
    const postgres = docker.getContainer(`${stack!.project}-postgres-1`);
    await postgres.stop({ t: 2 });
    try {
      const run = await esteps(['smoke', '-p', stack!.project, '--json']);
      expect(run.exitCode, run.stderr).toBe(8);
      expect(run.json.ok).toBe(false);
      const error = jsonError(run);
      expect(error.code).toBe('SMOKE_FAILED');
      const failed = (error.checks as Check[]).filter((c) => !c.ok);
      expect(failed.length).toBeGreaterThan(0);
      const firstCreate = failed.find((c) => c.name.startsWith('create smoke-'));
      expect(firstCreate, JSON.stringify(failed)).toBeDefined();
      expect(firstCreate?.expected).toMatch(/^201/);
      expect(firstCreate?.received).toBeTruthy();
      expect(error.message).toContain(firstCreate?.name);
      // Without --json the table names the failing check too, on stdout's error path (stderr).
      const text = await esteps(['smoke', '-p', stack!.project]);
      expect(text.exitCode).toBe(8);
      expect(text.stderr).toMatch(/create smoke-[0-9a-f]+-a/);
    } finally {
      await postgres.start();
    }
    // The service reconnects on its own; smoke passes again once it has.
    await eventually(
      'smoke passes again after Postgres is back',
      async () => (await esteps(['smoke', '-p', stack!.project])).exitCode === 0,
      60_000,
    );
  });

  it('refuses a project that is not up: NOT_RUNNING, exit 10 (smoke and hotpatch)', async () => {
    const project = uniqueName('e2e-notup');
    for (const command of ['smoke', 'hotpatch']) {
      const run = await esteps([command, '-p', project, '--json']);
      expect(run.exitCode, `${command}: ${run.stdout}`).toBe(10);
      expect(jsonError(run).code).toBe('NOT_RUNNING');
      expect(String(jsonError(run).message)).toContain(project);
    }
  });
});
