/**
 * esteps/testing as a test uses it, on the real engine: step 1 brought up with a project and
 * a host port of its own, its services found by name, the operations on the handle, and
 * `down` leaving nothing with the project's label (its images and the build's LABEL steps
 * included, the build cache kept); `await using` removing a stack when its block ends and
 * when it throws; an explicit project that exists refused and left alone; `reuse` leaving a
 * stack up, with ups of one project at once waiting for each other; typed errors, a failed
 * `up` leaving nothing behind; a host port written in the stack named in PORT_IN_USE's hint.
 */

import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labels } from '../cli/engine/labels.js';
import { EstepsError, type TestStack, up } from '../cli/testing/index.js';
import {
  removeByLabel,
  removeTestResources,
  repoRoot,
  testEngine,
  testLabels,
  uniqueName,
} from './support/engine.js';
import { engineLeftovers } from './support/leftovers.js';
import { call, writeNodeScriptStack } from './up-fixture.js';

const server =
  "require('http').createServer((q, s) => s.end(JSON.stringify({ ok: true }))).listen(5000)";
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await removeTestResources();
});

async function nodeStack(service: string, script = server, probeTimeoutMs?: number) {
  const stack = await writeNodeScriptStack({
    service,
    script,
    ...(probeTimeoutMs !== undefined && { probeTimeoutMs }),
  });
  cleanups.push(stack.remove);
  return stack;
}

describe('esteps/testing', () => {
  it('brings step 1 up on a port of its own, finds services by name, and leaves nothing at down', async () => {
    const stack = await up({ stack: 'step1', cwd: repoRoot });
    cleanups.push(() => stack.down());
    expect(stack.project).toMatch(/^step1-test-[0-9a-f]{8}$/);
    expect(stack.host).toBe('127.0.0.1');
    const port = stack.port('usersvc');
    expect(port).not.toBe(5000);
    expect(stack.url('usersvc')).toBe(`http://127.0.0.1:${port}`);
    expect(stack.url('usersvc', 5000)).toBe(stack.url('usersvc'));
    expect(stack.urls('usersvc')).toEqual([stack.url('usersvc')]);
    expect(await call('GET', `${stack.url('usersvc')}/user/health`)).toMatchObject({
      status: 200,
      body: { ok: true, database: 'up' },
    });
    expect(
      await call('PUT', `${stack.url('usersvc')}/user/api-alice`, {
        fullname: 'Alice',
        password: 'alicerules',
      }),
    ).toMatchObject({ status: 201 });

    const replicas = await stack.ps();
    expect(replicas.map((r) => `${r.service} ${r.state}`)).toEqual([
      'postgres running',
      'usersvc running',
    ]);
    expect(replicas[1]?.ports[0]?.hostPort).toBe(port);
    const lines = await stack.logs('usersvc');
    expect(lines.length).toBeGreaterThan(0);
    expect(new Set(lines.map((l) => l.service))).toEqual(new Set(['usersvc']));
    expect((await stack.smoke()).checks.every((c) => c.ok)).toBe(true);
    const patched = await stack.hotpatch('usersvc');
    expect(patched.replicas).toHaveLength(1);

    expect(() => stack.url('postgres')).toThrow(
      expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('no port') }),
    );
    expect(() => stack.url('usersvc', 5432)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => stack.url('nope')).toThrow(
      expect.objectContaining({
        code: 'USAGE',
        message: expect.stringContaining('postgres, usersvc'),
      }),
    );

    const removed = await stack.down();
    expect(removed.removed.containers).toEqual([
      `${stack.project}-postgres-1`,
      `${stack.project}-usersvc-1`,
    ]);
    expect(removed.removed.images).toEqual([`esteps/${stack.project}-usersvc:latest`]);
    expect(removed.removed.volumes).toContain(`${stack.project}.test-run`);
    expect(await engineLeftovers(stack.project)).toEqual([]);
    // A second down, and the dispose after it, find nothing to do.
    await stack[Symbol.asyncDispose]();
  });

  it("keeps the engine's build cache at down: the next test's build reuses every step", async () => {
    const { dir, file } = await nodeStack('apicache');
    // A step no other image has: only this stack's builds can keep it in the cache.
    const dockerfile = `ARG NODE_IMAGE\nFROM \${NODE_IMAGE}\nRUN echo ${uniqueName('cache')} > /marker\n`;
    await writeFile(join(dir, 'Dockerfile'), dockerfile);
    const text = `import { defineStack } from 'esteps';
export default defineStack({
  name: 'apicache',
  services: {
    apicache: {
      image: '{project}-apicache:latest',
      build: { context: '.', args: { NODE_IMAGE: { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' } } },
      command: ['/usr/local/bin/node', '-e', ${JSON.stringify(server)}],
      ports: [{ hostPort: 0, containerPort: 5000 }],
      httpProbe: { path: '/', containerPort: 5000 },
    },
  },
});
`;
    await writeFile(file, text);
    const { docker } = await testEngine();
    const runStep = async (project: string) => {
      // Up from the image through its parents to the first that carries none of esteps'
      // LABEL steps: the RUN step.
      let id = (await docker.getImage(`${project}-apicache:latest`).inspect()).Id;
      for (;;) {
        const info = await docker.getImage(id).inspect();
        if (info.Config.Labels?.[labels.image] === undefined) return id;
        id = info.Parent;
      }
    };
    const first = await up({ file });
    const cached = await runStep(first.project);
    await first.down();
    expect(await engineLeftovers(first.project)).toEqual([]);
    await expect(docker.getImage(cached).inspect()).resolves.toBeDefined();
    await using second = await up({ file });
    expect(await runStep(second.project)).toBe(cached);
  });

  it('removes the stack when an `await using` block ends, and when it throws', async () => {
    const { file } = await nodeStack('apiblock');
    let project = '';
    {
      await using stack = await up({ file });
      project = stack.project;
      expect(await call('GET', stack.url('apiblock'))).toMatchObject({ status: 200 });
      expect(await engineLeftovers(project)).not.toEqual([]);
    }
    expect(await engineLeftovers(project)).toEqual([]);

    let thrown = '';
    const block = async () => {
      await using stack = await up({ file });
      thrown = stack.project;
      expect(await engineLeftovers(thrown)).not.toEqual([]);
      throw new Error('the test failed');
    };
    await expect(block()).rejects.toThrow('the test failed');
    expect(thrown).not.toBe(project);
    expect(await engineLeftovers(thrown)).toEqual([]);
  });

  it('refuses an explicit project that exists on the engine, and leaves it alone', async () => {
    const { file } = await nodeStack('apitaken');
    const project = uniqueName('api-taken');
    const { docker } = await testEngine();
    await docker.createVolume({
      Name: `${project}_data`,
      Labels: testLabels({ [labels.project]: project }),
    });
    cleanups.push(() => removeByLabel(docker, labels.project, project));
    const refused = await up({ file, project }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(EstepsError);
    expect(refused).toMatchObject({ code: 'USAGE', message: expect.stringContaining(project) });
    expect(await engineLeftovers(project)).toEqual([`volume ${project}_data`]);
  });

  it('with reuse, leaves the stack up, and ups of one project at once wait for each other', async () => {
    const { file } = await nodeStack('apireuse');
    const project = uniqueName('api-reuse');
    const first = await Promise.all([
      up({ file, project, reuse: true }),
      up({ file, project, reuse: true }),
    ]);
    cleanups.push(() => first[0].down());
    expect(first.map((s) => s.outcome.changed).sort()).toEqual([false, true]);
    expect(first[1].url('apireuse')).toBe(first[0].url('apireuse'));
    for (const stack of first) await stack[Symbol.asyncDispose]();
    const again: TestStack = await up({ file, project, reuse: true });
    expect(again.outcome.changed).toBe(false);
    expect(again.url('apireuse')).toBe(first[0].url('apireuse'));
    expect(await call('GET', again.url('apireuse'))).toMatchObject({ status: 200 });
    await again.down();
    expect(await engineLeftovers(project)).toEqual([]);
  });

  it('scale: each replica on a port of its own, every one answering, all gone at down', async () => {
    const { file } = await nodeStack('apiscale');
    await using stack = await up({ file, scale: { apiscale: 3 } });
    const urls = stack.urls('apiscale');
    expect(urls).toHaveLength(3);
    expect(new Set(urls).size).toBe(3);
    for (const url of urls) expect(await call('GET', url)).toMatchObject({ status: 200 });
    const replicas = await stack.ps();
    expect(replicas.map((r) => `${r.service} ${r.state}`)).toEqual(
      Array(3).fill('apiscale running'),
    );
    const removed = await stack.down();
    expect(removed.removed.containers).toHaveLength(3);
    expect(await engineLeftovers(stack.project)).toEqual([]);
  });

  it('throws typed errors with the CLI codes, and a failed up leaves nothing behind', async () => {
    const { file } = await nodeStack('apinever', 'setInterval(() => {}, 1000)', 3000);
    const project = uniqueName('api-never');
    const err = await up({ file, project }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EstepsError);
    expect(err).toMatchObject({ code: 'HEALTH_TIMEOUT', exitCode: 7 });
    expect(await engineLeftovers(project)).toEqual([]);
  });

  it("names a host port written in the stack in PORT_IN_USE's hint", async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => busy.close(r)));
    const port = (busy.address() as { port: number }).port;
    const { dir, file } = await nodeStack('apifixed');
    const text = `import { defineStack } from 'esteps';
export default defineStack({
  name: 'apifixed',
  services: {
    apifixed: {
      image: { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' },
      command: ['/usr/local/bin/node', '-e', ${JSON.stringify(server)}],
      ports: [{ hostPort: ${port}, containerPort: 5000 }],
    },
  },
});
`;
    await writeFile(join(dir, 'esteps.stack.ts'), text);
    const project = uniqueName('api-fixed');
    const err = await up({ file, project }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'PORT_IN_USE',
      hint: expect.stringContaining(`services.apifixed.ports[0].hostPort (${port})`),
    });
    expect(await engineLeftovers(project)).toEqual([]);
  });
});
