/**
 * `esteps smoke` against a real stack: it passes on a fresh `up`, passes again right after
 * (fresh user names, nothing left behind), fails with SMOKE_FAILED (exit 8) and names the
 * failing checks while Postgres is stopped, and refuses a project that is not up
 * (NOT_RUNNING, exit 10) as `hotpatch` does. The service as `up` started it answers 503
 * while its database is gone and recovers by itself; the database password shows in no
 * command's output and in no container's logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProjectSecrets } from '../cli/engine/secrets/project-secrets.js';
import {
  esteps,
  eventually,
  health,
  jsonError,
  type UpProject,
  upProject,
} from './hotpatch-support.js';
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
      const started = Date.now();
      const run = await esteps(['smoke', '-p', project, '--json']);
      const tookMs = Date.now() - started;
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
      // Each check's own time: a number, the checks one after another within the command's.
      for (const check of checks) expect(check.ok, check.name).toBe(true);
      const durations = checks.map((c) => c.durationMs);
      expect(
        durations.every((d) => Number.isFinite(d) && d >= 0),
        String(durations),
      ).toBe(true);
      expect(durations.reduce((a, b) => a + b, 0)).toBeLessThan(tookMs);
      expect(
        durations.some((d) => d > 0),
        String(durations),
      ).toBe(true);
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
      // The service, up as `esteps up` started it, answers 503 while its database is gone.
      expect(firstCreate?.received).toMatch(/^503 .*database unavailable/);
      expect(error.message).toContain(firstCreate?.name);
      // Without --json the table names the failing check too, on stdout's error path (stderr).
      const text = await esteps(['smoke', '-p', stack!.project]);
      expect(text.exitCode).toBe(8);
      expect(text.stderr).toMatch(/create smoke-[0-9a-f]+-a/);
      // Alive, and saying its database is not up (what esteps' readiness rule reads).
      expect(await health(stack!.baseUrl)).toMatchObject({ status: 200 });
      expect((await health(stack!.baseUrl)).database).not.toBe('up');
    } finally {
      await postgres.start();
    }
    // The service reconnects on its own; smoke passes again once it has.
    await eventually(
      'smoke passes again after Postgres is back',
      async () => (await esteps(['smoke', '-p', stack!.project])).exitCode === 0,
      60_000,
    );
    expect(await health(stack!.baseUrl)).toMatchObject({ status: 200, database: 'up' });
  });

  it('shows the database password in no command output and no log line', async () => {
    const project = stack!.project;
    const { docker } = await testEngine();
    const password = (await readProjectSecrets(docker, project)).dbPassword;
    expect(password, 'the generated password').toMatch(/^.{16,}$/);
    const runs = [];
    for (const args of [
      ['up', '--json'],
      ['up'],
      ['ps', '--json'],
      ['logs', '--json'],
      ['logs'],
      ['smoke', '--json'],
      ['render', '--json'],
      ['render'],
    ]) {
      runs.push(await esteps([...args, '-p', project], { ESTEPS_USERSVC_PORT: '0' }));
    }
    for (const run of runs) {
      expect(`${run.stdout}${run.stderr}`).not.toContain(password);
    }
    expect(runs[3]!.exitCode).toBe(0);
    expect((runs[3]!.json.lines as unknown[]).length).toBeGreaterThan(0);
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
