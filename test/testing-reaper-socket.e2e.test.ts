/**
 * `ESTEPS_REAPER_SOCKET` (README "Nothing left behind"): the reaper mounts the engine's
 * socket from the path it names on the engine's host. The reaper is one container per
 * engine, shared with every other test process on it, so the test needs an engine where its
 * own process starts the reaper: a real engine in a container (test/support/remote-engines.ts)
 * with the Node.js stand-in loaded. The reaper answers on a 127.0.0.1 port of the engine's
 * host, so the child test process runs in that engine's network namespace (nsenter: root,
 * as tests here are), reaching the engine on its plain TCP port. The path given is a symlink
 * to the engine's socket in a folder of the engine's host (`/esteps-test`, the engine's
 * bind-mounted folder): the reaper container binds it, and once the child is SIGKILLed the
 * reaper removes its stack within the README's 30 s, through that socket.
 */
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine, type Engine } from '../cli/engine/client.js';
import { projectFilter } from '../cli/engine/labels.js';
import { reaperContainerName } from '../cli/testing/reaper-client.js';
import { stackImage, testEngine, uniqueName } from './support/engine.js';
import { within } from './support/leftovers.js';
import { type RemoteEngine, startRemoteEngine } from './support/remote-engines.js';
import { startTestingChild, testingChildren } from './support/testing-child.js';
import { writeNodeScriptStack } from './up-fixture.js';

let remote: RemoteEngine;
let inner: Engine;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  remote = await startRemoteEngine({ images: [stackImage('ESTEPS_NODE_IMAGE')], stackPorts: 0 });
  inner = await connectEngine({ DOCKER_HOST: `tcp://127.0.0.1:${remote.tcpPort}` }, 10_000);
}, 600_000);

afterAll(async () => {
  for (const child of testingChildren) child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await remote?.remove();
});

describe('ESTEPS_REAPER_SOCKET', () => {
  it("is the socket the reaper mounts, and it reaps a killed process's stack through it", async () => {
    // The engine's folder on this machine is /esteps-test on the engine's host.
    await symlink('/var/run/docker.sock', join(remote.dir, 'engine', 'engine.sock'));
    const given = '/esteps-test/engine.sock';
    const node = await writeNodeScriptStack({
      service: 'socketed',
      script: "require('http').createServer((q, s) => s.end('ok')).listen(5000)",
    });
    cleanups.push(node.remove);
    const { docker } = await testEngine();
    const pid = (await docker.getContainer(remote.name).inspect()).State.Pid;
    const { child, ready } = startTestingChild({
      up: { file: node.file, projectPrefix: uniqueName('socket') },
      mode: 'idle',
      env: {
        DOCKER_HOST: 'tcp://127.0.0.1:2375',
        DOCKER_CONTEXT: '',
        ESTEPS_REAPER_SOCKET: given,
      },
      wrapper: ['nsenter', `--net=/proc/${pid}/ns/net`],
    });
    const project = await ready;

    const reaper = await inner.docker.getContainer(reaperContainerName).inspect();
    expect(reaper.HostConfig.Binds).toEqual([`${given}:/var/run/docker.sock`]);
    expect(reaper.Mounts.map((m) => `${m.Source}:${m.Destination}`)).toEqual([
      `${given}:/var/run/docker.sock`,
    ]);
    const filters = projectFilter(project);
    expect(await inner.docker.listContainers({ filters })).toHaveLength(1);

    child.kill('SIGKILL');
    await child;
    const tookMs = await within(30_000, async () => {
      const [containers, volumes] = await Promise.all([
        inner.docker.listContainers({ all: true, filters }),
        inner.docker.listVolumes({ filters }),
      ]);
      return containers.length === 0 && (volumes.Volumes ?? []).length === 0;
    });
    process.stdout.write(`reaper through ${given}: ${project} gone ${tookMs} ms after SIGKILL\n`);
  });

  it("from another machine than the engine's, up() cannot reach the reaper and says so within 60 s", async () => {
    // This machine is "another machine" for the engine in the container: the reaper answers on
    // 127.0.0.1 of the engine's host, which no port of this one reaches.
    const node = await writeNodeScriptStack({
      service: 'elsewhere',
      script: "require('http').createServer((q, s) => s.end('ok')).listen(5000)",
    });
    cleanups.push(node.remove);
    const host = `tcp://127.0.0.1:${remote.tcpPort}`;
    const startedAt = Date.now();
    const { child } = startTestingChild({
      up: { file: node.file, projectPrefix: uniqueName('elsewhere') },
      mode: 'idle',
      env: { DOCKER_HOST: host, DOCKER_CONTEXT: '' },
    });
    const result = await child;
    const tookMs = Date.now() - startedAt;
    const stderr = String(result.stderr);
    expect(result.exitCode, stderr).toBe(1);
    const where = `(it answers on 127.0.0.1 of the engine's host, ${host}: only a test process on that host reaches it).`;
    expect(stderr).toMatch(/The esteps reaper could not be reached: [^\n]+ \(it answers on/);
    expect(stderr).toContain(where);
    expect(stderr).toContain("code: 'START_FAILED'");
    expect(stderr).toContain('ESTEPS_REAPER=off');
    expect(tookMs).toBeLessThan(75_000);
    // Nothing of a stack was made on the engine: the reaper is reached before anything is.
    const filters = { label: ['com.esteps.project'] };
    expect(await inner.docker.listContainers({ all: true, filters })).toEqual([]);
    process.stdout.write(`reaper out of reach: up() failed after ${tookMs} ms\n`);
  });
});
