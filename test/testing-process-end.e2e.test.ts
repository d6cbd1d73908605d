/**
 * How a test process's stacks go when the process ends without tearing them down (README
 * "Nothing left behind"): a child process that uses the built package brings a stack up
 * (step 1, whose project holds containers, a network, volumes and a built image; or a stack
 * with a network and a volume that builds nothing) and then gets SIGINT, gets SIGTERM, or
 * lets its event loop run dry: each time, everything labelled with its project (its lock and
 * its reaper marker included) is gone by the moment the process has ended, within the 30 s
 * the README bounds a signal's removal to, and the process ends as the signal (or the empty
 * loop) would have ended it. The reaper would remove the stack too, but later (its 5 s grace
 * after a death by signal; after an exit, its removal, which these checks at once beat), so a
 * stack the process left would fail these tests.
 * Then `ESTEPS_REAPER=off`: no marker, no connection to a reaper, and a SIGKILLed process's
 * stack stays (the test removes it). And up()'s `signal` option: aborting stops an `up` that
 * waits for readiness, with INTERRUPTED, having removed what it made.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectFilter } from '../cli/engine/labels.js';
import { EstepsError, up } from '../cli/testing/index.js';
import { reaperContainerName } from '../cli/testing/reaper-client.js';
import { removeProject, testEngine, uniqueName } from './support/engine.js';
import { engineLeftovers, within } from './support/leftovers.js';
import { startStallingEngine } from './support/stalling-engine.js';
import {
  leftoverKinds,
  startTestingChild,
  tcpPeerPorts,
  testingChildren,
} from './support/testing-child.js';
import { writeNodeScriptStack } from './up-fixture.js';

const server = "require('http').createServer((q, s) => s.end('ok')).listen(5000)";
/** The README's bound on a signal's removal. */
const signalBoundMs = 30_000;
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const child of testingChildren) child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/**
 * A stack file with a named volume and a network of its own, for a child that needs no image
 * built: the Node.js image serving on port 5000.
 */
async function lightStack(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'esteps-process-end-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const web = {
    image: { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' },
    command: ['/usr/local/bin/node', '-e', server],
    ports: [{ hostPort: 0, containerPort: 5000 }],
    httpProbe: { path: '/', containerPort: 5000 },
    volumes: [{ volume: 'data', target: '/data' }],
    networks: ['inner'],
  };
  const file = join(dir, 'esteps.stack.ts');
  await writeFile(
    file,
    `import { defineStack } from 'esteps';
export default defineStack({
  name: 'ending',
  services: { web: ${JSON.stringify(web)} },
  networks: { inner: {} },
  volumes: { data: {} },
});
`,
  );
  return file;
}

/**
 * A child with a stack up (step 1: containers, a network, volumes, a built image; else the
 * light stack: no image), its project checked to hold every kind of resource and its marker.
 */
async function childWithStack(mode: 'idle' | 'drain', prefix: string, stepOne: boolean) {
  const { child, ready } = startTestingChild({
    up: stepOne
      ? { stack: 'step1', projectPrefix: uniqueName(prefix) }
      : { file: await lightStack(), projectPrefix: uniqueName(prefix) },
    mode,
  });
  const project = await ready;
  cleanups.push(() => removeProject(project));
  const before = await engineLeftovers(project);
  const kinds = ['container', 'network', 'volume', ...(stepOne ? ['image'] : [])];
  expect(leftoverKinds(before)).toEqual(kinds.sort());
  expect(before).toContain(`volume ${project}.test-run`);
  return { child, project };
}

describe('esteps/testing when the process ends', () => {
  // SIGINT with step 1 (every kind of resource, a built image among them), SIGTERM with a
  // stack that builds nothing (the same removal, quicker to bring up).
  for (const [signal, stepOne] of [
    ['SIGINT', true],
    ['SIGTERM', false],
  ] as const) {
    it(`on ${signal}, removes the stack before the signal takes its course, within 30 s`, async () => {
      const { child, project } = await childWithStack('idle', signal.toLowerCase(), stepOne);
      const sentAt = Date.now();
      child.kill(signal);
      const result = await child;
      const tookMs = Date.now() - sentAt;
      expect(await engineLeftovers(project)).toEqual([]);
      expect(result.signal, String(result.stderr)).toBe(signal);
      expect(result.exitCode).toBeUndefined();
      expect(tookMs).toBeLessThan(signalBoundMs);
      process.stdout.write(`${signal}: ${project} gone and the process ended in ${tookMs} ms\n`);
    });
  }

  it('on SIGTERM while the engine hangs, ends at the 30 s bound, names what it left, and the reaper removes it', async () => {
    // The child reaches the real engine through a socket that stops answering on cue; the
    // reaper mounts (and reaches) the engine's own socket.
    const engine = await startStallingEngine();
    cleanups.push(engine.close);
    const { child, ready } = startTestingChild({
      up: { file: await lightStack(), projectPrefix: uniqueName('hung') },
      mode: 'idle',
      env: {
        DOCKER_HOST: engine.dockerHost,
        DOCKER_CONTEXT: '',
        ESTEPS_REAPER_SOCKET: '/var/run/docker.sock',
      },
    });
    const project = await ready;
    cleanups.push(() => removeProject(project));
    expect(await engineLeftovers(project)).toContain(`volume ${project}.test-run`);

    engine.stall();
    const sentAt = Date.now();
    child.kill('SIGTERM');
    const result = await child;
    const tookMs = Date.now() - sentAt;
    expect(result.signal, String(result.stderr)).toBe('SIGTERM');
    expect(result.exitCode).toBeUndefined();
    expect(String(result.stderr)).toContain(
      `esteps/testing: SIGTERM: project ${project} not removed within 30 s (the engine did not finish the removal); the reaper removes it once this process has ended.`,
    );
    // It waited for the removal the whole bound (the removal really hung), and no longer
    // (what is over 30 s is the process's own exit and the test's timer, under load).
    expect(tookMs).toBeGreaterThanOrEqual(signalBoundMs);
    expect(tookMs).toBeLessThan(signalBoundMs + 3000);
    const reapedMs = await within(
      30_000,
      async () => (await engineLeftovers(project)).length === 0,
    );
    process.stdout.write(
      `SIGTERM, engine hung: the process ended in ${tookMs} ms, the reaper removed ${project} ${reapedMs} ms later\n`,
    );
  });

  it('removes the stack when the event loop runs dry, then exits 0', async () => {
    const { child, project } = await childWithStack('drain', 'drain', false);
    child.stdin?.end('go\n');
    const result = await child;
    expect(await engineLeftovers(project)).toEqual([]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
  });

  it('with ESTEPS_REAPER=off, starts and reaches no reaper, and a killed process leaves its stack', async () => {
    const node = await writeNodeScriptStack({ service: 'reaperoff', script: server });
    cleanups.push(node.remove);
    const { child, ready } = startTestingChild({
      up: { file: node.file, projectPrefix: uniqueName('reaper-off') },
      mode: 'idle',
      env: { ESTEPS_REAPER: 'off' },
    });
    const project = await ready;
    cleanups.push(() => removeProject(project));
    const before = await engineLeftovers(project);
    expect(before).toContain(`container /${project}-reaperoff-1`);
    expect(before).not.toContain(`volume ${project}.test-run`);
    // A reaper another test process started may run: this one holds no connection to it;
    // with none running, this one started none (a reaper stays a minute after its last run).
    const { docker } = await testEngine();
    const reaper = await docker
      .getContainer(reaperContainerName)
      .inspect()
      .catch(() => undefined);
    const reaperPort = Number(reaper?.NetworkSettings.Ports?.['8080/tcp']?.[0]?.HostPort ?? 0);
    if (reaperPort) expect(await tcpPeerPorts(child.pid!)).not.toContain(reaperPort);

    child.kill('SIGKILL');
    await child;
    // Past the reaper's 5 s grace and its first removal (5 to 9 s after a kill, measured).
    await new Promise((r) => setTimeout(r, 12_000));
    const after = await docker.listContainers({ filters: projectFilter(project) });
    expect(after.map((c) => `${c.Names[0]} ${c.State}`)).toEqual([
      `/${project}-reaperoff-1 running`,
    ]);
    await removeProject(project);
    expect(await engineLeftovers(project)).toEqual([]);
  });

  it('stops an up waiting for readiness when its signal aborts, with INTERRUPTED, having removed what it made', async () => {
    // Never ready: nothing listens, and the probe would wait 120 s.
    const node = await writeNodeScriptStack({
      service: 'abortme',
      script: 'setInterval(() => {}, 60000)',
      probeTimeoutMs: 120_000,
    });
    cleanups.push(node.remove);
    const project = uniqueName('abort');
    cleanups.push(() => removeProject(project));
    const controller = new AbortController();
    const upping = up({ file: node.file, project, signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    const { docker } = await testEngine();
    await within(120_000, async () => {
      const list = await docker.listContainers({ filters: projectFilter(project) });
      return list.some((c) => c.State === 'running');
    });
    const abortedAt = Date.now();
    controller.abort();
    const err = await upping;
    const tookMs = Date.now() - abortedAt;
    expect(await engineLeftovers(project)).toEqual([]);
    expect(err).toBeInstanceOf(EstepsError);
    expect(err).toMatchObject({ code: 'INTERRUPTED' });
    expect(tookMs).toBeLessThan(30_000);
    process.stdout.write(`signal: up stopped and ${project} removed ${tookMs} ms after abort\n`);
  });
});
