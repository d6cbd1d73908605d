/**
 * The project's lock is on the engine, not in a folder: while `up -p X` runs from one folder,
 * `down`, `hotpatch` and `watch` of X from a copy of that folder are refused (LOCKED, exit 11,
 * naming the holder) and `up` ends with the stack up; a holder killed on this machine is taken
 * over at once, one on another machine once it stopped beating; nothing is left once the
 * commands are done.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labels } from '../cli/engine/labels.js';
import { lockName } from '../cli/engine/project-lock.js';
import { volumeHelperImage } from '../cli/engine/secrets/volume-helper.js';
import { cliPath } from './support/cli.js';
import { testEngine } from './support/engine.js';
import { call, type ProjectFixture, projectFixture } from './up-fixture.js';

let a: ProjectFixture;
let copy: string;

beforeAll(async () => {
  a = await projectFixture('e2e-lock');
  copy = await mkdtemp(join(tmpdir(), `${a.project}-copy-`));
  await cp(a.dir, copy, { recursive: true });
});

afterAll(async () => {
  await a?.[Symbol.asyncDispose]();
  await rm(copy, { recursive: true, force: true });
});

/** The built CLI in the copy of the project's folder. */
function fromCopy(args: string[]) {
  return execa('node', [cliPath, ...args, '-p', a.project], {
    cwd: copy,
    env: { NO_COLOR: '1', ESTEPS_USERSVC_PORT: String(a.port) },
    reject: false,
    timeout: 120_000,
  });
}

async function lockContainer(): Promise<
  { Id: string; Labels: Record<string, string> } | undefined
> {
  const { docker } = await testEngine();
  const [found] = await docker.listContainers({
    all: true,
    filters: { label: [`${labels.lock}=${a.project}`] },
  });
  return found;
}

async function waitForLock(): Promise<void> {
  for (let i = 0; i < 600 && !(await lockContainer()); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(await lockContainer(), 'the lock on the engine').toBeDefined();
}

describe('the project lock', () => {
  it('refuses down, hotpatch and watch from another folder while up runs; up ends up', async () => {
    const first = a.cli(['up', '--json']);
    await waitForLock();
    for (const args of [['down', '--json'], ['hotpatch', '--json'], ['watch']]) {
      const run = await fromCopy(args);
      expect(run.exitCode, `${args[0]}: ${run.stdout}\n${run.stderr}`).toBe(11);
      expect(run.stderr).toMatch(
        new RegExp(
          `Another esteps up \\(pid \\d+ on this machine\\) is working on project ${a.project}`,
        ),
      );
      if (args.includes('--json')) {
        expect(JSON.parse(run.stdout)).toMatchObject({
          ok: false,
          error: { code: 'LOCKED', lock: lockName(a.project), holder: { command: 'up' } },
        });
      }
    }
    const done = await first;
    expect(done.exitCode, done.stderr).toBe(0);
    const ps = await a.ps();
    expect(ps.replicas.map((c) => [c.service, c.state])).toEqual([
      ['postgres', 'running'],
      ['usersvc', 'running'],
    ]);
    expect((await call('GET', a.url('/user/health'))).body).toMatchObject({ database: 'up' });
    expect(await lockContainer(), 'released').toBeUndefined();
  });

  it('takes over at once from a holder on this machine that was killed', async () => {
    const killed = execa('node', [cliPath, 'down', '-p', a.project], {
      cwd: a.dir,
      env: { NO_COLOR: '1' },
      reject: false,
    });
    await waitForLock();
    killed.kill('SIGKILL');
    await killed;
    const left = await lockContainer();
    expect(left, 'a killed holder leaves its lock').toBeDefined();
    const run = await fromCopy(['up']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      new RegExp(
        `Took over the lock of project ${a.project} from esteps down \\(pid ${killed.pid} on this machine\\), process ${killed.pid} no longer runs`,
      ),
    );
    expect(await lockContainer()).toBeUndefined();
  });

  it('takes over from a holder on another machine once it stopped beating', async () => {
    const { docker } = await testEngine();
    const holder = { command: 'up', pid: 1, host: 'elsewhere', boot: 'x', heartbeatMs: 400 };
    await docker.createContainer({
      name: lockName(a.project),
      Image: volumeHelperImage,
      Cmd: ['/none'],
      Labels: { [labels.lock]: a.project, [labels.lockHolder]: JSON.stringify(holder) },
    });
    const refused = await fromCopy(['down', '--json']);
    expect(refused.exitCode, refused.stderr).toBe(11);
    expect(refused.stderr).toContain('Another esteps up (pid 1 on host elsewhere)');
    // Five beats of 400 ms missed.
    await new Promise((r) => setTimeout(r, 2500));
    const run = await fromCopy(['down']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/from esteps up \(pid 1 on host elsewhere\), not heard from for \d/);
    expect(await lockContainer()).toBeUndefined();
  });
});
