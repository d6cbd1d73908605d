/**
 * `up` beyond the happy path: two projects side by side on different ports; a second `up`
 * while one runs is refused (LOCKED); an interrupted `up` is finished by the next; a
 * container that crashes during start-up ends in CONTAINER_EXITED with its exit code and
 * last log lines.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labels } from '../cli/engine/labels.js';
import { createTar } from '../cli/engine/tar.js';
import { up } from '../cli/operations/up.js';
import type { Progress } from '../cli/ui/progress.js';
import { runCli } from './support/cli.js';
import { removeByLabel, removeTestResources, stackImage, testEngine } from './support/engine.js';
import {
  call,
  containerIds,
  type ProjectFixture,
  projectFixture,
  writeNodeScriptStack,
} from './up-fixture.js';

let a: ProjectFixture;
let b: ProjectFixture;
/** A project of its own: a stack without postgres/usersvc would remove them from `a`. */
const crashProject = () => `${a.project}-crash`;

beforeAll(async () => {
  a = await projectFixture('esteps-side-a');
  b = await projectFixture('esteps-side-b');
});

afterAll(async () => {
  const { docker } = await testEngine();
  await removeByLabel(docker, labels.project, crashProject());
  await a?.[Symbol.asyncDispose]();
  await b?.[Symbol.asyncDispose]();
  await removeTestResources();
});

describe('esteps up, side by side and when things go wrong', () => {
  it('refuses a second up on the same project while the first runs (LOCKED)', async () => {
    const first = a.cli(['up', '--json']);
    // The first run takes the lock (on the engine) once it has loaded the stack, before bundling.
    const { docker } = await testEngine();
    const locked = async () =>
      (
        await docker.listContainers({
          all: true,
          filters: { label: [`${labels.lock}=${a.project}`] },
        })
      ).length > 0;
    for (let i = 0; i < 600 && !(await locked()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await locked()).toBe(true);
    const second = await a.cli(['up', '--json']);
    expect(second.exitCode, JSON.stringify(second.json)).toBe(11);
    expect(second.json).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    const done = await first;
    expect(done.exitCode).toBe(0);
  });

  it('finishes an interrupted up on the next run', async () => {
    // A base image no build has used: every step of the usersvc build runs (seconds), so
    // the interruption lands in the middle of it, with a step container of the engine's.
    const { docker } = await testEngine();
    const base = `esteps-test-base/${b.project}:fresh`;
    await new Promise<void>((resolve, reject) => {
      const dockerfile = `FROM ${stackImage('ESTEPS_ENVOY_IMAGE')}\nLABEL com.esteps.test-base=${b.project}\n`;
      docker
        .buildImage(
          Readable.from([createTar([{ path: 'Dockerfile', data: Buffer.from(dockerfile) }])]),
          { t: base },
        )
        .then((stream) =>
          docker.modem.followProgress(stream, (err: Error | null) =>
            err ? reject(err) : resolve(),
          ),
        )
        .catch(reject);
    });
    const controller = new AbortController();
    const progress = watchingProgress((text) => {
      if (text.startsWith('wait postgres')) controller.abort(new Error('interrupted'));
    });
    const ctx = { ...b.ctx({ ESTEPS_ENVOY_IMAGE: base }, controller.signal), progress };
    try {
      await expect(up(ctx, { project: b.project })).rejects.toMatchObject({
        code: 'INTERRUPTED',
      });
    } finally {
      await docker
        .getImage(base)
        .remove({ force: true })
        .catch(() => undefined);
    }
    // Interrupted while Postgres became healthy: usersvc was not created yet (its build may
    // or may not have finished meanwhile: it runs in parallel).
    const left = await containerIds(b.project);
    // Seen once at load 14: a usersvc container too, which was the interrupted build's step
    // container (containerIds now counts service containers only). Say which, if ever again.
    const detail = await Promise.all(
      Object.values(left).map(async (id) => {
        const info = await docker.getContainer(id).inspect();
        return `${info.Name} created ${info.Created} labels ${JSON.stringify(info.Config.Labels)}`;
      }),
    );
    expect(Object.keys(left), detail.join('\n')).toEqual(['postgres']);

    const again = await b.up();
    const plan = again.plan;
    // The engine removes an interrupted build's step container once that step ends (build.ts
    // removes it sooner); one still there is removed by this `up`, and says why.
    const leftovers = plan.filter((o) => o.cause.startsWith('left by an interrupted esteps'));
    expect(leftovers.every((o) => o.action === 'remove')).toBe(true);
    const steps = plan.filter((o) => !leftovers.includes(o)).map((o) => `${o.action} ${o.target}`);
    expect(steps.slice(0, 2)).toEqual([
      `unchanged network ${b.project}_appmesh`,
      `unchanged volume ${b.project}_pgdata`,
    ]);
    expect(steps).toContain(`unchanged container ${b.project}-postgres-1`);
    expect(steps).toContain(`create container ${b.project}-usersvc-1`);
    expect(steps.at(-1)).toBe('wait usersvc answering its HTTP probe');
    expect((await call('GET', b.url('/user/health'))).status).toBe(200);
    expect(Object.keys(await containerIds(b.project)).sort()).toEqual(['postgres', 'usersvc']);
  });

  it('runs two projects side by side on different ports', async () => {
    // Its own starting point (up changes nothing when the tests above left both up).
    await Promise.all([a.up(), b.up()]);
    const ids = [await containerIds(a.project), await containerIds(b.project)];
    expect(Object.keys(ids[0]!).sort()).toEqual(['postgres', 'usersvc']);
    expect(Object.keys(ids[1]!).sort()).toEqual(['postgres', 'usersvc']);
    expect(ids[0]!.usersvc).not.toBe(ids[1]!.usersvc);
    await call('PUT', a.url('/user/only-in-a'), { fullname: 'A', password: 'secret-a-1' });
    expect((await call('GET', a.url('/user/only-in-a'))).status).toBe(200);
    expect((await call('GET', b.url('/user/only-in-a'))).status).toBe(404);
  });

  it('reports CONTAINER_EXITED with the exit code and last log lines of a crashing service (exit 6)', async () => {
    const stack = await writeNodeScriptStack({
      service: 'crasher',
      script: 'console.error("boom: cannot start"); process.exit(3)',
    });
    try {
      const started = Date.now();
      const run = await runCli(['up', '-f', stack.file, '-p', crashProject(), '--json'], {
        cwd: stack.dir,
      });
      expect(run.exitCode).toBe(6);
      expect(run.json).toMatchObject({
        ok: false,
        error: { code: 'CONTAINER_EXITED', service: 'crasher', exitCode: 3 },
      });
      expect((run.json.error as { output: string }).output).toContain('boom: cannot start');
      expect(run.stderr).toMatch(/esteps: crasher exited during start-up with code 3/);
      expect(run.stderr).toContain('boom: cannot start');
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await stack.remove();
    }
  });
});

function watchingProgress(onStart: (text: string) => void): Progress {
  return {
    start: onStart,
    update() {},
    succeed() {},
    fail() {},
    info() {},
    stop() {},
  };
}
