/**
 * The test Swarm (npm run swarm:up / swarm:down) is a real multi-node Swarm: three engines,
 * an overlay across them, a dnsrr service spread over the nodes, a registry the nodes pull
 * from, host-mode published ports on 127.0.0.1, repair, and a down that leaves nothing.
 * Slow (a cluster, image pushes and pulls): it runs in the `swarm` project, after the others.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildImage } from '../cli/engine/build.js';
import { labels } from '../cli/engine/labels.js';
import { demultiplex } from '../cli/engine/log-frames.js';
import { createTar } from '../cli/engine/tar.js';
import { factsPath } from '../scripts/swarm/cluster-facts.js';
import { repoRoot, stackImage, testEngine, testRunId, uniqueName } from './support/engine.js';
import {
  freePortBlock,
  nodeEngine,
  pullImage,
  pushImage,
  removeSwarm,
  runSwarmScript,
  type SwarmFacts,
} from './support/swarm.js';

const cluster = uniqueName(inject('swarmPrefix'));
/** The Node.js stand-in: the one image with a runtime for a tiny server and client. */
const nodeImage = stackImage('ESTEPS_NODE_IMAGE');
const server = `require('http').createServer((q, s) => s.end(require('os').hostname())).listen(8080)`;

let facts: SwarmFacts;
let manager: Docker;
let portBase: number;
/** The stand-in, tagged for the registry on this machine's engine (untagged in afterAll). */
let pushedFromHost: string | undefined;

describe('a test Swarm on one machine', () => {
  beforeAll(async () => {
    portBase = await freePortBlock();
    const up = await runSwarmScript('up', [
      '--cluster',
      cluster,
      '--port-base',
      String(portBase),
      '--json',
    ]);
    console.info(`swarm:up (${cluster}) took ${up.durationMs} ms`);
    expect(up.json, up.stderr).toMatchObject({ ok: true, changed: true });
    facts = up.json as unknown as SwarmFacts;
    manager = nodeEngine(facts.dockerHost);
  });

  afterAll(async () => {
    const { docker } = await testEngine();
    if (pushedFromHost)
      await docker
        .getImage(pushedFromHost)
        .remove()
        .catch(() => undefined);
    await removeSwarm(cluster);
  });

  it('has 3 Ready nodes, each container named after its Swarm hostname, everything on 127.0.0.1', async () => {
    const { docker } = await testEngine();
    expect(facts.dockerHost).toBe(`tcp://127.0.0.1:${portBase + 1}`);
    expect(facts.registry).toBe(`${cluster}-registry:5000`);
    expect(facts.registryFromHost).toBe(`127.0.0.1:${portBase}`);
    const nodes = await manager.listNodes();
    expect(
      nodes.map((n: { Description: { Hostname: string }; Status: { State: string } }) => ({
        hostname: n.Description.Hostname,
        state: n.Status.State,
      })),
    ).toEqual(
      expect.arrayContaining(facts.nodes.map((n) => ({ hostname: n.name, state: 'ready' }))),
    );
    expect(nodes).toHaveLength(3);
    const containers = await docker.listContainers({
      filters: { label: [`${labels.swarm}=${cluster}`] },
    });
    expect(containers.map((c) => c.Names[0]!.slice(1)).sort()).toEqual(
      [`${cluster}-registry`, ...facts.nodes.map((n) => n.name)].sort(),
    );
    const published = containers.flatMap((c) => c.Ports.filter((p) => p.PublicPort));
    expect(published.length).toBe(1 + 3 * 11);
    expect(published.every((p) => p.IP === '127.0.0.1')).toBe(true);
  });

  it('reuses a healthy cluster: a second swarm:up (from a shell pointed at the manager) changes nothing and ends with the same DOCKER_HOST', async () => {
    const { docker } = await testEngine();
    const before = await docker.listContainers({
      filters: { label: [`${labels.swarm}=${cluster}`] },
    });
    const again = await runSwarmScript(
      'up',
      ['--cluster', cluster, '--port-base', String(portBase)],
      { DOCKER_HOST: facts.dockerHost },
    );
    console.info(`swarm:up on a healthy cluster took ${again.durationMs} ms`);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout.trim().split('\n').at(-1)).toBe(`DOCKER_HOST=${facts.dockerHost}`);
    expect(again.stdout).toContain(`ESTEPS_REGISTRY=${facts.registry}`);
    expect(again.stderr).toContain(`is node ${cluster}-manager-1 of a test Swarm`);
    expect(again.stderr).toContain('nothing to do');
    const after = await docker.listContainers({
      filters: { label: [`${labels.swarm}=${cluster}`] },
    });
    expect(after.map((c) => c.Id).sort()).toEqual(before.map((c) => c.Id).sort());
    expect(existsSync(factsPath(repoRoot, cluster))).toBe(true);
  });

  it('takes an image pushed from this machine, and one built and pushed on the manager, pulled on a worker', async () => {
    const { docker } = await testEngine();
    const [repo, tag] = splitRef(nodeImage);
    pushedFromHost = `${facts.registryFromHost}/${repo}:${tag}`;
    await docker.getImage(nodeImage).tag({ repo: `${facts.registryFromHost}/${repo}`, tag });
    await pushImage(docker, pushedFromHost);

    // What esteps will do: build on the manager FROM the registry, push there, nodes pull.
    const built = `${facts.registry}/esteps-test/marker-${testRunId}:1`;
    const dockerfile = `FROM ${facts.registry}/${repo}:${tag}\nCOPY marker.txt /marker.txt\n`;
    const managerImageId = await buildImage(manager, {
      tag: built,
      context: createTar([
        { path: 'Dockerfile', data: Buffer.from(dockerfile) },
        { path: 'marker.txt', data: Buffer.from(testRunId) },
      ]),
      dockerfile: 'Dockerfile',
      buildArgs: {},
      labels: { [labels.test]: testRunId },
    });
    await pushImage(manager, built);

    const worker = nodeEngine(
      facts.nodes.find((n) => n.name === `${cluster}-worker-2`)!.dockerHost,
    );
    await pullImage(worker, built);
    expect((await worker.getImage(built).inspect()).Id).toBe(managerImageId);
  });

  it('runs a dnsrr service on an overlay across the nodes: a client reaches replicas on several nodes, host-mode ports answer on 127.0.0.1', async () => {
    const [repo, tag] = splitRef(nodeImage);
    const image = `${facts.registry}/${repo}:${tag}`;
    const overlay = `${cluster}-overlay`;
    await manager.createNetwork({ Name: overlay, Driver: 'overlay', Attachable: true });
    await manager.createService({
      Name: 'web',
      TaskTemplate: {
        ContainerSpec: { Image: image, Command: ['node', '-e', server] },
        Networks: [{ Target: overlay }],
      },
      Mode: { Replicated: { Replicas: 3 } },
      EndpointSpec: {
        Mode: 'dnsrr',
        Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 30000, PublishMode: 'host' }],
      },
    });
    const tasks = await waitForRunningTasks(manager, 'web', 3);
    const taskNodes = new Set(tasks.map((t) => t.NodeID));
    expect(taskNodes.size).toBeGreaterThanOrEqual(2);

    // A client on the overlay, on the manager: every address of the dnsrr name answers.
    const client = await manager.createContainer({
      Image: image,
      Cmd: [
        'node',
        '-e',
        `require('dns').lookup('web', { all: true }, async (err, addrs) => {
           if (err) throw err;
           for (const { address } of addrs) {
             const res = await fetch('http://' + address + ':8080/');
             console.log(address + ' ' + (await res.text()));
           }
         })`,
      ],
      HostConfig: { NetworkMode: overlay },
    });
    await client.start();
    const exit = (await client.wait()) as { StatusCode: number };
    const output = demultiplex((await client.logs({ stdout: true, stderr: true })) as Buffer);
    await client.remove({ force: true });
    expect(exit.StatusCode, output).toBe(0);
    const answers = output.trim().split('\n');
    expect(answers).toHaveLength(3);
    expect(new Set(answers.map((l) => l.split(' ')[1])).size).toBe(3);

    // Host mode: each node's port 30000 is its 127.0.0.1 port in the facts.
    const byNode = await Promise.all(
      facts.nodes.map(async (n) => {
        const host = n.ports.find((p) => p.node === 30000)!.host;
        const res = await fetch(`http://127.0.0.1:${host}/`, { signal: AbortSignal.timeout(5000) });
        return res.text();
      }),
    );
    expect(new Set(byNode).size).toBe(3);
  });

  it('repairs a cluster whose worker was stopped', async () => {
    const { docker } = await testEngine();
    await docker.getContainer(`${cluster}-worker-1`).stop({ t: 1 });
    const up = await runSwarmScript('up', [
      '--cluster',
      cluster,
      '--port-base',
      String(portBase),
      '--json',
    ]);
    console.info(`swarm:up repairing a stopped worker took ${up.durationMs} ms`);
    expect(up.json, up.stderr).toMatchObject({
      ok: true,
      changed: true,
      actions: [{ target: `${cluster}-worker-1`, action: 'start', cause: 'stopped' }],
    });
    const states = (await manager.listNodes()).map(
      (n: { Status: { State: string } }) => n.Status.State,
    );
    expect(states).toEqual(['ready', 'ready', 'ready']);
  });

  it('swarm:down removes everything it labelled, the node cgroups and the facts file; a second down is a no-op', async () => {
    const { docker } = await testEngine();
    const down = await runSwarmScript('down', ['--cluster', cluster, '--json']);
    console.info(`swarm:down took ${down.durationMs} ms`);
    expect(down.json, down.stderr).toMatchObject({ ok: true, cluster });
    const filters = { label: [`${labels.swarm}=${cluster}`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
    expect((await docker.listVolumes({ filters })).Volumes ?? []).toEqual([]);
    expect(existsSync(factsPath(repoRoot, cluster))).toBe(false);
    const leftCgroups = readdirSync('/sys/fs/cgroup').filter((c) =>
      facts.nodes.some((n) => existsSync(join('/sys/fs/cgroup', c, n.name))),
    );
    expect(leftCgroups).toEqual([]);

    const again = await runSwarmScript('down', ['--cluster', cluster, '--json']);
    expect(again.json).toMatchObject({
      ok: true,
      removed: { containers: [], networks: [], volumes: [] },
    });
  });
});

function splitRef(ref: string): [string, string] {
  const at = ref.lastIndexOf(':');
  return at > ref.lastIndexOf('/') ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, 'latest'];
}

interface Task {
  NodeID: string;
  DesiredState: string;
  Status: { State: string; Err?: string };
}

/** Waits for `count` running tasks; fails early, with the engine's reasons, on rejected ones. */
async function waitForRunningTasks(
  docker: Docker,
  service: string,
  count: number,
): Promise<Task[]> {
  const deadline = Date.now() + 120_000;
  let tasks: Task[] = [];
  while (Date.now() < deadline) {
    tasks = (await docker.listTasks({ filters: { service: [service] } })) as Task[];
    const running = tasks.filter(
      (t) => t.DesiredState === 'running' && t.Status.State === 'running',
    );
    if (running.length >= count) return running;
    if (tasks.filter((t) => t.Status.State === 'rejected').length >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(
    `service ${service}: ${count} running tasks expected, got ${JSON.stringify(tasks.map((t) => t.Status))}`,
  );
}
