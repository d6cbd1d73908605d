/**
 * `esteps up --swarm` on a real 3-node test Swarm (npm run swarm:up): step3 deployed with its
 * replicas spread over the nodes, smoke through the published ports (and interrupted: exit 130,
 * its users removed), a second up that changes nothing, a dry run with new build inputs that
 * plans the build, push and rolling update and changes nothing anywhere, a lost worker, a
 * crashing update rolled back by itself, a rolling update of good code under load that names
 * the version each task runs, updates waited for on a busy manager, the manager reached over
 * TLS through a context, `--scale` applied, a registry that does not answer (PUSH_FAILED),
 * ESTEPS_BUILD_HOST (the manager's engine builds and pushes), and a down that leaves nothing
 * labelled. One cluster for the whole file, removed in afterAll (and by the swarm project's
 * global teardown) even on failure.
 */

import { randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { labels } from '../cli/engine/labels.js';
import { waitForSwarmService } from '../cli/engine/swarm/wait-swarm-service.js';
import { type CliRun, cliPath, runCli } from './support/cli.js';
import { writeContext } from './support/docker-contexts.js';
import {
  freePort,
  repoRoot,
  stackImage,
  testEngine,
  testRunId,
  uniqueName,
} from './support/engine.js';
import {
  freePortBlock,
  nodeEngine,
  removeSwarm,
  runSwarmScript,
  type SwarmFacts,
} from './support/swarm.js';
import { overlayLoad, publishedLoad } from './support/swarm-load.js';
import {
  createSleepService,
  inspectService,
  updateService,
  upToDateTasks,
} from './support/swarm-services.js';
import { makeTestCertificates } from './support/test-certificates.js';
import { startTlsFront } from './support/tls-front.js';

const cluster = uniqueName(inject('swarmPrefix'));
const project = uniqueName('sw3');
/** A stand-in Postgres that reads POSTGRES_PASSWORD_FILE (secrets are files on a Swarm). */
const postgresImage = stackImage('ESTEPS_POSTGRES_IMAGE');
/** A lost node's replicas are rescheduled and smoke passes again within this bound. */
const recoveryBoundMs = 60_000;

let facts: SwarmFacts;
let manager: Docker;
let work: string;
let env: Record<string, string>;

const cli = (args: readonly string[]): Promise<CliRun> =>
  runCli([...args, '--stack', 'step3', '-p', project], { cwd: work, env, timeoutMs: 400_000 });

interface Task {
  service: string;
  node: string;
  image: string;
  state: string;
  desiredState: string;
}

async function tasks(): Promise<Task[]> {
  const ps = await cli(['ps', '--swarm', '--json']);
  expect(ps.exitCode, ps.stderr).toBe(0);
  return ps.json.tasks as Task[];
}

const running = (all: Task[], service: string) =>
  all.filter((t) => t.service === service && t.state === 'running' && t.desiredState === 'running');

/** 127.0.0.1 URLs of the user service's published port on every node. */
const nodeUrls = () =>
  facts.nodes.map((n) => `http://127.0.0.1:${n.ports.find((p) => p.node === 30000)!.host}`);

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A copy of service/ inside the repository (its bundles resolve the repository's node_modules). */
async function serviceCopy(edit: (main: string) => string): Promise<string> {
  const dir = join(repoRoot, '.esteps', uniqueName('tmp-swarm'));
  await mkdir(dir, { recursive: true });
  await cp(join(repoRoot, 'service'), join(dir, 'service'), { recursive: true });
  const main = join(dir, 'service', 'usersvc', 'main.ts');
  await writeFile(main, edit(await readFile(main, 'utf8')));
  return dir;
}

/** Each project service's version index on the Swarm. */
async function versionIndexes(): Promise<Record<string, number>> {
  const services = (await manager.listServices({
    filters: { label: [`${labels.project}=${project}`] },
  })) as { Spec: { Name: string }; Version: { Index: number } }[];
  return Object.fromEntries(services.map((s) => [s.Spec.Name, s.Version.Index]));
}

/**
 * What a dry run must leave as it was: the build engine's images of the project (and what
 * the service's tag names), the registry's catalog and the tags' digests, and the project's
 * services (version indexes), networks and secrets on the Swarm.
 */
async function everything(docker: Docker) {
  const images = await docker.listImages({
    all: true,
    filters: { label: [`${labels.project}=${project}`] },
  });
  const registry = `http://${facts.registryFromHost}`;
  const catalog = (await (await fetch(`${registry}/v2/_catalog`)).json()) as {
    repositories: string[];
  };
  const digests = await Promise.all(
    catalog.repositories.sort().map(async (repo) => {
      const tags =
        (
          (await (await fetch(`${registry}/v2/${repo}/tags/list`)).json()) as {
            tags: string[] | null;
          }
        ).tags ?? [];
      const heads = await Promise.all(
        tags.sort().map(async (tag) => {
          const r = await fetch(`${registry}/v2/${repo}/manifests/${tag}`, {
            method: 'HEAD',
            headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
          });
          return `${tag}@${r.headers.get('docker-content-digest')}`;
        }),
      );
      return [repo, heads] as const;
    }),
  );
  const filters = { label: [`${labels.project}=${project}`] };
  return {
    images: images.map((i) => `${i.Id} ${(i.RepoTags ?? []).sort().join(',')}`).sort(),
    registry: Object.fromEntries(digests),
    services: await versionIndexes(),
    networks: (await manager.listNetworks({ filters })).map((n) => n.Id).sort(),
    secrets: ((await manager.listSecrets({ filters })) as { ID: string }[]).map((x) => x.ID).sort(),
  };
}

/**
 * `smoke --swarm --json`, sent SIGINT `delayMs` after it starts its checks: its result, or
 * 'passed' when the story was over first.
 */
async function interruptedSmoke(delayMs: number): Promise<CliRun | 'passed'> {
  const smoke = execa(
    'node',
    [cliPath, 'smoke', '--swarm', '--json', '--stack', 'step3', '-p', project],
    { cwd: work, env: { NO_COLOR: '1', ...env }, reject: false, timeout: 120_000 },
  );
  let err = '';
  smoke.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!err.includes('- smoke ') && Date.now() < deadline && smoke.exitCode === null) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, delayMs));
  smoke.kill('SIGINT');
  const r = await smoke;
  if (r.exitCode === 0) return 'passed';
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    // Checked by the caller.
  }
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

describe('step3 on a 3-node Swarm', () => {
  beforeAll(async () => {
    const portBase = await freePortBlock();
    const up = await runSwarmScript('up', [
      '--cluster',
      cluster,
      '--port-base',
      String(portBase),
      '--json',
    ]);
    expect(up.json, up.stderr).toMatchObject({ ok: true });
    facts = up.json as unknown as SwarmFacts;
    manager = nodeEngine(facts.dockerHost);
    work = join(repoRoot, '.esteps', uniqueName('tmp-swarm-cwd'));
    await mkdir(work, { recursive: true });
    env = { DOCKER_HOST: facts.dockerHost, ESTEPS_POSTGRES_IMAGE: postgresImage };
  });

  afterAll(async () => {
    await cli(['down', '--swarm', '--volumes']).catch(() => undefined);
    await removeSwarm(cluster);
    const { docker } = await testEngine();
    const images = await docker.listImages({
      filters: { reference: [`*/esteps/${project}-usersvc`, `esteps/${project}-usersvc`] },
    });
    for (const i of images)
      for (const tag of i.RepoTags ?? [])
        await docker
          .getImage(tag)
          .remove()
          .catch(() => undefined);
    // Earlier builds of the project (replaced tags) stay as untagged images: all carry its label.
    for (const i of await docker.listImages({
      all: true,
      filters: { label: [`${labels.project}=${project}`] },
    }))
      await docker
        .getImage(i.Id)
        .remove({ force: true })
        .catch(() => undefined);
    const pushed = `${facts?.registryFromHost}/${postgresImage.replace(/^[^/]*\.[^/]*\//, '')}`;
    await docker
      .getImage(pushed)
      .remove()
      .catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('deploys step3: usersvc replicas on 3 nodes, postgres pinned, smoke passes', async () => {
    const started = Date.now();
    const up = await cli(['up', '--swarm', '--json']);
    console.info(`up --swarm (cold cluster) took ${Date.now() - started} ms`);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.json).toMatchObject({
      ok: true,
      swarm: true,
      changed: true,
      modes: { endpointMode: 'dnsrr', publishMode: 'host' },
    });
    expect(up.stderr).toMatch(/create +service usersvc x3 +no service/);
    // One plan format on every target: the images are built and pushed as planned steps.
    expect((up.json.plan as { kind: string; target: string }[]).map((p) => p.kind)).toEqual(
      expect.arrayContaining(['build-image', 'push-image', 'create-service']),
    );
    const all = await tasks();
    const nodes = new Set(running(all, 'usersvc').map((t) => t.node));
    expect(running(all, 'usersvc')).toHaveLength(3);
    // At most one per node (maxReplicasPerNode: 1): the three on the three nodes.
    expect(nodes).toEqual(new Set(facts.nodes.map((n) => n.name)));
    expect(running(all, 'postgres').map((t) => t.node)).toEqual([
      (up.json.pinned as Record<string, string>).postgres,
    ]);
    const smoke = await cli(['smoke', '--swarm', '--json']);
    expect(smoke.exitCode, smoke.stderr).toBe(0);
    expect(smoke.json).toMatchObject({ ok: true });
    // The secret is a file: nothing of it in the service's environment.
    const spec = (await manager.getService(`${project}_usersvc`).inspect()) as {
      Spec: { TaskTemplate: { ContainerSpec: { Env: string[]; Secrets: unknown[] } } };
    };
    expect(spec.Spec.TaskTemplate.ContainerSpec.Env).toContain(
      'PGPASSWORD_FILE=/run/secrets/db_password',
    );
    expect(spec.Spec.TaskTemplate.ContainerSpec.Env.some((e) => e.startsWith('PGPASSWORD='))).toBe(
      false,
    );
    expect(spec.Spec.TaskTemplate.ContainerSpec.Secrets).toHaveLength(1);
  });

  it('a second up --swarm changes nothing and says so', async () => {
    const before = await versionIndexes();
    const up = await cli(['up', '--swarm']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/plan for project \S+:\n(.*\n)*nothing to do/);
    expect(up.stderr).toMatch(/unchanged +service usersvc +same spec/);
    expect(up.stdout).toContain(`project ${project}: nothing to do`);
    expect(await versionIndexes()).toEqual(before);
  });

  it('up --swarm --dry-run with new build inputs plans build, push and a rolling update, and changes nothing anywhere', async () => {
    const { docker } = await testEngine();
    // New build inputs without touching the sources: the Node.js base under another name.
    const node = stackImage('ESTEPS_NODE_IMAGE');
    const renamed = `esteps-local/node:dryrun-${testRunId}`;
    await docker.getImage(node).tag({ repo: 'esteps-local/node', tag: `dryrun-${testRunId}` });
    try {
      const before = await everything(docker);
      const dry = await runCli(
        ['up', '--swarm', '--dry-run', '--json', '--stack', 'step3', '-p', project],
        { cwd: work, env: { ...env, ESTEPS_NODE_IMAGE: renamed }, timeoutMs: 120_000 },
      );
      expect(dry.exitCode, dry.stderr).toBe(0);
      const steps = (dry.json.plan as { action: string; target: string; cause: string }[]).map(
        (p) => [p.action, p.target, p.cause],
      );
      expect(steps).toEqual([
        [
          'build',
          `image esteps/${project}-usersvc:latest`,
          expect.stringMatching(/^no image built from these inputs/),
        ],
        [
          'push',
          `image ${facts.registryFromHost}/esteps/${project}-usersvc:latest`,
          'build inputs changed',
        ],
        ['pull', 'image of usersvc onto its nodes (a one-shot job)', expect.any(String)],
        ['update', 'service usersvc x3 (rolling)', 'new image: build inputs changed'],
        ['unchanged', 'service postgres', 'same spec'],
      ]);
      expect(await everything(docker)).toEqual(before);
    } finally {
      await docker
        .getImage(renamed)
        .remove({ noprune: true })
        .catch(() => undefined);
    }
  });

  it('smoke --swarm interrupted (SIGINT) exits 130 and removes the users it created', async () => {
    const url = nodeUrls()[0]!;
    // Where an interrupt lands in the story depends on the machine's speed: a whole run says
    // how long its first checks take, and each attempt aims at the first user's create (a
    // check under way completes; none starts after the interrupt), moving later when the
    // interrupt came before it and earlier when the story was over first.
    const whole = await cli(['smoke', '--swarm', '--json']);
    expect(whole.exitCode, whole.stderr).toBe(0);
    const checks = whole.json.checks as { name: string; durationMs: number }[];
    let delayMs = checks[0]!.durationMs + checks[1]!.durationMs / 2;
    let proved = false;
    for (let attempt = 0; attempt < 8 && !proved; attempt++) {
      const result = await interruptedSmoke(delayMs);
      if (result === 'passed') {
        delayMs /= 2;
        continue;
      }
      expect(result.exitCode, result.stderr).toBe(130);
      expect(result.json).toMatchObject({ ok: false, error: { code: 'INTERRUPTED' } });
      const ran = (result.json.error as { checks: { name: string; ok: boolean }[] }).checks;
      // Both of the story's users, whatever it got to: neither is left.
      const tag = ran.map((c) => /^create (smoke-[0-9a-f]+)-a$/.exec(c.name)?.[1]).find(Boolean);
      for (const name of tag ? [`${tag}-a`, `${tag}-b`] : []) {
        const r = await fetch(`${url}/user/${name}`);
        expect(r.status, `${name} is still there`).toBe(404);
      }
      proved = ran.some((c) => c.ok && c.name.startsWith('create smoke-'));
      if (!proved) delayMs *= 2;
    }
    expect(proved, 'no interrupt landed after a user was created').toBe(true);
  });

  it('rolls back a crashing update by itself: exit 18, the old code keeps answering', async () => {
    const before = (await (await fetch(`${nodeUrls()[0]}/user/health`)).json()) as {
      version: string;
    };
    const source = await serviceCopy((main) => `throw new Error('crash at start');\n${main}`);
    try {
      const patch = await cli(['hotpatch', '--swarm', '--source', source, '--json']);
      expect(patch.exitCode, patch.stderr).toBe(18);
      expect(patch.json).toMatchObject({
        ok: false,
        error: { code: 'ROLLED_BACK', service: 'usersvc' },
      });
      expect((patch.json.error as { message: string }).message).toMatch(/usersvc.*non-zero exit/);
    } finally {
      await rm(source, { recursive: true, force: true });
    }
    for (const url of nodeUrls()) {
      const health = await until(`${url} answers`, 30_000, async () => {
        const r = await fetch(`${url}/user/health`);
        return r.ok ? ((await r.json()) as { version: string }) : undefined;
      });
      expect(health.version).toBe(before.version);
    }
  });

  it('rolls good code out under load: failures counted through the published ports and inside the overlay', async () => {
    const source = await serviceCopy((main) => `${main}\n// a new version\n`);
    try {
      const image = (
        (await manager.getService(`${project}_usersvc`).inspect()) as {
          Spec: { TaskTemplate: { ContainerSpec: { Image: string } } };
        }
      ).Spec.TaskTemplate.ContainerSpec.Image;
      const inside = await overlayLoad(manager, {
        image,
        network: `${project}_appmesh`,
        host: 'usersvc',
        port: 5000,
        rate: 150,
        project,
      });
      const outside = publishedLoad(
        nodeUrls().map((u) => `${u}/user/health`),
        150,
      );
      const patch = await cli(['hotpatch', '--swarm', '--source', source, '--json']);
      const [out, ins] = [await outside.stop(), await inside.stop()];
      console.info(
        `rolling update took ${patch.json.durationMs} ms; published ports: ${JSON.stringify(out)}; inside the overlay: ${JSON.stringify(ins)}`,
      );
      expect(patch.exitCode, patch.stderr).toBe(0);
      expect(out.sent / (out.durationMs / 1000)).toBeGreaterThanOrEqual(100);
      expect(ins.sent / (ins.durationMs / 1000)).toBeGreaterThanOrEqual(100);
      expect(ins.failed).toBe(0);
      // The version it rolled to is the code version each replica's health answer names, and
      // every task runs it, one a node.
      const version = patch.json.version as string;
      expect(version).toMatch(/^[0-9a-f]{12}$/);
      const replicas = patch.json.replicas as {
        container: string;
        node: string;
        version: string;
      }[];
      expect(replicas).toHaveLength(3);
      expect(new Set(replicas.map((r) => r.node))).toEqual(new Set(facts.nodes.map((n) => n.name)));
      for (const r of replicas) {
        expect(r.version).toBe(version);
        expect(r.container).toMatch(new RegExp(`^${project}_usersvc\\.[1-3]\\.[a-z0-9]{25}$`));
      }
      for (const url of nodeUrls()) {
        const health = (await (await fetch(`${url}/user/health`)).json()) as { version: string };
        expect(health.version).toBe(version);
      }
    } finally {
      await rm(source, { recursive: true, force: true });
    }
  });

  it('waits for the rolling update itself on a busy manager: an update not started yet is not taken for converged', async () => {
    // What up --swarm and hotpatch --swarm wait with, on services of their own: the manager
    // clears a service's update status when it accepts a new spec and sets it again when its
    // updater starts. A manager busy with a thousand new tasks (of a service no node may
    // take) starts it up to a second later, while the old tasks still run.
    const { Image: image } = (await inspectService(manager, `${project}_usersvc`)).Spec.TaskTemplate
      .ContainerSpec;
    const make = (name: string, replicas: number, nowhere = false) =>
      createSleepService(manager, {
        name: `${project}_${name}`,
        project,
        image,
        replicas,
        nowhere,
      });
    const busy = await make('busy', 0, true);
    const rolled = await make('rolled', 3);
    try {
      await waitForSwarmService({ docker: manager, id: rolled, service: 'rolled' });
      for (let round = 0; round < 3; round++) {
        const before = (await inspectService(manager, rolled)).UpdateStatus?.StartedAt ?? '';
        // The first round rolls on a quiet manager, and leaves a status to compare with.
        if (round > 0)
          await updateService(manager, busy, (s) => {
            s.Mode.Replicated.Replicas = round % 2 === 1 ? 1000 : 0;
          });
        await updateService(manager, rolled, (s) => {
          s.TaskTemplate.ForceUpdate = (s.TaskTemplate.ForceUpdate ?? 0) + 1;
        });
        const started = Date.now();
        await waitForSwarmService({
          docker: manager,
          id: rolled,
          service: 'rolled',
          updateStartedBefore: before,
        });
        const status = (await inspectService(manager, rolled)).UpdateStatus;
        const current = (await upToDateTasks(manager, rolled)).filter(
          (t) => t.DesiredState === 'running' && t.Status.State === 'running',
        );
        console.info(`round ${round}: converged after ${Date.now() - started} ms`);
        expect(status?.State, `round ${round}: the update's state when the wait ended`).toBe(
          'completed',
        );
        expect(current, `round ${round}: tasks running on the new spec`).toHaveLength(3);
      }
    } finally {
      for (const id of [rolled, busy])
        await manager
          .getService(id)
          .remove()
          .catch(() => undefined);
    }
  });

  it('a worker node lost: its replica goes, smoke passes again within the bound; back, it is rescheduled', async () => {
    const all = await tasks();
    const dbNode = running(all, 'postgres')[0]!.node;
    const victim = running(all, 'usersvc')
      .map((t) => t.node)
      .find((n) => n !== dbNode && n.includes('worker'))!;
    expect(victim).toBeDefined();
    const { docker } = await testEngine();
    const stoppedAt = Date.now();
    await docker.getContainer(victim).stop({ t: 0 });
    try {
      await until('smoke passes without the lost node', recoveryBoundMs, async () => {
        const t = await tasks();
        if (running(t, 'usersvc').some((x) => x.node === victim)) return undefined;
        const smoke = await cli(['smoke', '--swarm']);
        return smoke.exitCode === 0 ? true : undefined;
      });
      console.info(`smoke passed again ${Date.now() - stoppedAt} ms after ${victim} stopped`);
    } finally {
      await docker
        .getContainer(victim)
        .start()
        .catch(() => undefined);
    }
    // Back in the Swarm, the node takes the replica that had nowhere to go (one per node).
    await until('3 usersvc replicas on 3 nodes again', 120_000, async () => {
      const t = running(await tasks(), 'usersvc');
      return t.length === 3 && new Set(t.map((x) => x.node)).size === 3 ? true : undefined;
    });
  });

  it('the manager reached over TLS through a docker context: ps, a no-op up, logs and smoke', async () => {
    const dir = join(work, 'tls');
    const certs = await makeTestCertificates(join(dir, 'certs'));
    const { hostname, port } = new URL(facts.dockerHost.replace(/^tcp:/, 'http:'));
    await using front = await startTlsFront(certs, { host: hostname, port: Number(port) });
    const config = join(dir, 'docker-config');
    await writeContext(config, 'swarm-tls', front.host, certs.clientDir);
    const viaTls = { ...env, DOCKER_HOST: '', DOCKER_CONFIG: config, DOCKER_CONTEXT: 'swarm-tls' };
    const run = (args: readonly string[]) =>
      runCli([...args, '--stack', 'step3', '-p', project], {
        cwd: work,
        env: viaTls,
        timeoutMs: 120_000,
      });
    // Back to the stack's own code first (the rolling update above deployed a copy's).
    const converge = await cli(['up', '--swarm']);
    expect(converge.exitCode, converge.stderr).toBe(0);
    const before = await versionIndexes();

    const ps = await run(['ps', '--swarm', '--json']);
    expect(ps.exitCode, ps.stderr).toBe(0);
    expect(running(ps.json.tasks as Task[], 'usersvc')).toHaveLength(3);
    const up = await run(['up', '--swarm', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.json).toMatchObject({
      changed: false,
      engine: { source: 'DOCKER_CONTEXT (context swarm-tls)', host: front.host },
    });
    const logs = await run(['logs', '--swarm', 'usersvc', '--tail', '1', '--json']);
    expect(logs.exitCode, logs.stderr).toBe(0);
    // One line from the end of each task's log: the 3 replicas', and those of the tasks the
    // rolling update and the lost node replaced (a service's log is every task's).
    const lines = logs.json.lines as { service: string; text: string }[];
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(new Set(lines.map((l) => l.service))).toEqual(new Set(['usersvc']));
    const smoke = await run(['smoke', '--swarm', '--json']);
    expect(smoke.exitCode, smoke.stderr).toBe(0);
    expect(smoke.json).toMatchObject({ ok: true });
    expect(front.accepted()).toBeGreaterThanOrEqual(4);
    expect(await versionIndexes()).toEqual(before);
  });

  it('up --swarm --scale usersvc=2 runs two replicas for that up; the next up goes back to the stack', async () => {
    const scaled = await cli(['up', '--swarm', '--scale', 'usersvc=2', '--json']);
    expect(scaled.exitCode, scaled.stderr).toBe(0);
    expect(scaled.stderr).toMatch(/update +service usersvc/);
    expect(running(await tasks(), 'usersvc')).toHaveLength(2);
    const back = await cli(['up', '--swarm', '--json']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(running(await tasks(), 'usersvc')).toHaveLength(3);
  });

  it('a registry that does not answer: PUSH_FAILED (exit 17) naming it, and nothing changed on the Swarm', async () => {
    const before = await versionIndexes();
    // No registry listens on a port just freed: each image must go there, so each is pushed.
    const registry = `127.0.0.1:${await freePort()}`;
    try {
      const up = await runCli(['up', '--swarm', '--json', '--stack', 'step3', '-p', project], {
        cwd: work,
        env: { ...env, ESTEPS_REGISTRY: registry },
        timeoutMs: 120_000,
      });
      expect(up.exitCode, up.stderr).toBe(17);
      expect(up.json.error).toMatchObject({
        code: 'PUSH_FAILED',
        message: expect.stringContaining(`Pushing ${registry}/`),
        hint: expect.stringContaining(`the registry at ${registry} answers`),
      });
      expect(await versionIndexes()).toEqual(before);
    } finally {
      const { docker } = await testEngine();
      for (const i of await docker.listImages({ filters: { reference: [`${registry}/*/*`] } }))
        for (const tag of i.RepoTags ?? [])
          await docker
            .getImage(tag)
            .remove()
            .catch(() => undefined);
    }
  });

  it("ESTEPS_BUILD_HOST: hotpatch --swarm builds and pushes on that engine (the manager's), not this machine's, and the services run its image", async () => {
    const { docker } = await testEngine();
    // The manager's engine has the stand-in bases the Dockerfile starts FROM, as a build host
    // has its base images.
    for (const base of [stackImage('ESTEPS_NODE_IMAGE'), stackImage('ESTEPS_ENVOY_IMAGE')]) {
      const loaded = await manager.loadImage(await docker.getImage(base).get());
      await new Promise((resolve, reject) =>
        manager.modem.followProgress(loaded, (e) => (e ? reject(e) : resolve(undefined))),
      );
    }
    const byProject = { filters: { label: [`${labels.project}=${project}`] }, all: true };
    const localBefore = (await docker.listImages(byProject)).map((i) => i.Id);
    const source = await serviceCopy((main) => `${main}\n// built on the build host\n`);
    try {
      const patch = await runCli(
        ['hotpatch', '--swarm', '--source', source, '--json', '--stack', 'step3', '-p', project],
        { cwd: work, env: { ...env, ESTEPS_BUILD_HOST: facts.dockerHost }, timeoutMs: 400_000 },
      );
      expect(patch.exitCode, patch.stderr).toBe(0);
      const repository = `esteps/${project}-usersvc`;
      expect(patch.stderr).toContain(`build image ${repository}:latest`);
      // The manager's engine reaches the registry by the nodes' name for it.
      expect(patch.stderr).toContain(`push image ${facts.registry}/${repository}:latest`);
      // Built there: an image of the project's usersvc with esteps' labels, the one pushed.
      const built = (await manager.listImages(byProject)).filter(
        (i) => i.Labels?.[labels.service] === 'usersvc',
      );
      const digests = built.flatMap((i) => i.RepoDigests ?? []);
      const deployed = (await inspectService(manager, `${project}_usersvc`)).Spec.TaskTemplate
        .ContainerSpec.Image;
      const digest = deployed.split('@')[1];
      expect(digest, deployed).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(digests).toContain(`${facts.registry}/${repository}@${digest}`);
      const image = built.find((i) =>
        i.RepoDigests?.includes(`${facts.registry}/${repository}@${digest}`),
      )!;
      expect(image.Labels).toMatchObject({
        [labels.project]: project,
        [labels.service]: 'usersvc',
        [labels.configHash]: expect.any(String),
      });
      // Not on this machine's engine: no image of the project appeared here in this run.
      const localAfter = (await docker.listImages(byProject)).map((i) => i.Id);
      expect(localAfter.filter((id) => !localBefore.includes(id))).toEqual([]);
      expect(localAfter).not.toContain(image.Id);
      // The services run it: every task of usersvc, each answering with the new version.
      const version = patch.json.version as string;
      expect(patch.json.replicas).toHaveLength(3);
      for (const r of patch.json.replicas as { version: string }[]) expect(r.version).toBe(version);
      const serving = running(await tasks(), 'usersvc');
      expect(serving.map((t) => t.image)).toEqual([deployed, deployed, deployed]);
      for (const url of nodeUrls()) {
        const health = (await (await fetch(`${url}/user/health`)).json()) as { version: string };
        expect(health.version).toBe(version);
      }
    } finally {
      await rm(source, { recursive: true, force: true });
    }
  });

  it('down --swarm leaves nothing labelled on the Swarm', async () => {
    const down = await cli(['down', '--swarm', '--volumes', '--json']);
    expect(down.exitCode, down.stderr).toBe(0);
    const filters = { label: [`${labels.project}=${project}`] };
    expect(await manager.listServices({ filters })).toEqual([]);
    expect(await manager.listNetworks({ filters })).toEqual([]);
    expect(await manager.listSecrets({ filters })).toEqual([]);
    for (const node of facts.nodes) {
      const engine = nodeEngine(node.dockerHost);
      await until(`no task container running on ${node.name}`, 60_000, async () =>
        (await engine.listContainers({ filters })).length === 0 ? true : undefined,
      );
      // The node stopped above may keep the exited container of the task it lost (see README).
      const exited = await engine.listContainers({ all: true, filters });
      if (exited.length > 0)
        console.info(`${node.name} keeps ${exited.length} exited task container(s)`);
    }
  });

  it('render --swarm: docker stack deploy of the file gives a stack that answers, and stack rm removes it', async () => {
    const file = join(work, 'swarm', 'stack.yml');
    const render = await cli(['render', '--swarm', '-o', file]);
    expect(render.exitCode, render.stderr).toBe(0);
    expect(await readFile(file, 'utf8')).toMatch(/deploy:\n/);
    // The command it prints names the stand-in by its place in the registry (no .env read).
    if (postgresImage.startsWith('esteps-local/'))
      expect(render.stdout).toContain(
        `ESTEPS_POSTGRES_IMAGE=${facts.registry}/${postgresImage} docker stack deploy -c`,
      );
    // README: secrets as files beside it, which `-o` writes (0444 in a 0700 folder); the test
    // writes none.
    const secretFile = join(work, 'swarm', 'secrets', 'db_password');
    expect(((await stat(join(work, 'swarm', 'secrets'))).mode & 0o777).toString(8)).toBe('700');
    expect(((await stat(secretFile)).mode & 0o777).toString(8)).toBe('444');
    expect(await readFile(secretFile, 'utf8')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // A stack of its own name: nothing of esteps' deployment of the project can answer for it.
    const stack = `${project}-stk`;
    const port = 30001;
    const stackEnv = {
      ...process.env,
      DOCKER_HOST: facts.dockerHost,
      // The stand-in is in the registry (up --swarm pushed it); docker stack deploy reads no .env.
      ESTEPS_POSTGRES_IMAGE: `${facts.registry}/${postgresImage}`,
      ESTEPS_USERSVC_PORT: String(port),
    };
    const docker = (args: string[]) =>
      execa('docker', args, { env: stackEnv, reject: false, cwd: join(work, 'swarm') });
    const byStack = { label: [`com.docker.stack.namespace=${stack}`] };
    const urls = facts.nodes.map(
      (n) => `http://127.0.0.1:${n.ports.find((p) => p.node === port)!.host}`,
    );
    const started = Date.now();
    const deploy = await docker(['stack', 'deploy', '-c', file, stack]);
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    try {
      const services = (await manager.listServices({ filters: byStack })) as {
        Spec: {
          Name: string;
          Mode: { Replicated?: { Replicas?: number } };
          UpdateConfig?: { FailureAction?: string };
        };
      }[];
      const usersvc = services.find((x) => x.Spec.Name === `${stack}_usersvc`);
      expect(services).toHaveLength(2);
      expect(usersvc?.Spec.Mode.Replicated?.Replicas).toBe(3);
      expect(usersvc?.Spec.UpdateConfig?.FailureAction).toBe('rollback');
      // Every node answers, with the database up (one replica a node, host-mode ports).
      for (const url of urls) {
        await until(`${url} answers with the database up`, 120_000, async () => {
          const r = await fetch(`${url}/user/health`, { signal: AbortSignal.timeout(3000) });
          const body = (await r.json()) as { database?: string };
          return r.status === 200 && body.database === 'up' ? true : undefined;
        });
      }
      console.info(
        `docker stack deploy of the rendered file answered on every node in ${Date.now() - started} ms`,
      );
      // A user written through one node is read through another: one database behind them all.
      const name = `stk-${randomBytes(4).toString('hex')}`;
      const put = await fetch(`${urls[0]}/user/${name}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          fullname: 'Stack Deployed',
          password: `pw-${randomBytes(6).toString('hex')}`,
        }),
      });
      const created = (await put.json()) as { uuid?: string };
      expect(put.status, JSON.stringify(created)).toBe(201);
      expect(created.uuid).toMatch(/^[0-9A-F]{32}$/);
      const get = await fetch(`${urls[1]}/user/${name}`);
      const read = (await get.json()) as Record<string, unknown>;
      expect(get.status).toBe(200);
      expect(read).toMatchObject({ uuid: created.uuid, fullname: 'Stack Deployed' });
      expect(read).not.toHaveProperty('password');
    } finally {
      await docker(['stack', 'rm', stack]);
    }
    // Nothing of the stack is left: services, secrets, networks, task containers; its volume
    // (docker stack rm keeps volumes) is removed by hand and was the only one.
    expect(await manager.listServices({ filters: byStack })).toEqual([]);
    expect(await manager.listSecrets({ filters: byStack })).toEqual([]);
    await until('the stack network is gone', 60_000, async () =>
      (await manager.listNetworks({ filters: byStack })).length === 0 ? true : undefined,
    );
    for (const node of facts.nodes) {
      const engine = nodeEngine(node.dockerHost);
      await until(`no container of the stack on ${node.name}`, 60_000, async () =>
        (await engine.listContainers({ all: true, filters: byStack })).length === 0
          ? true
          : undefined,
      );
      const volumes = (await engine.listVolumes({ filters: byStack })).Volumes ?? [];
      expect(volumes.map((v) => v.Name)).toEqual(
        node.role === 'manager' ? [`${stack}_pgdata`] : [],
      );
      for (const v of volumes) await engine.getVolume(v.Name).remove();
      expect((await engine.listVolumes({ filters: byStack })).Volumes ?? []).toEqual([]);
    }
  });
});
