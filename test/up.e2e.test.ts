/**
 * The life of one project on the real engine: a cold `up` to a healthy service and
 * a user round trip; a second `up` that changes nothing; a configuration change that
 * recreates usersvc alone; a host port in use (PORT_IN_USE) and the recovery; `ps --json`;
 * `down` keeping the data and leaving foreign resources alone; `down --volumes` removing it
 * and the built image. Each test brings the project to its own starting point first (`up`
 * is a no-op when nothing changed), so none depends on the one before it having passed.
 */

import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labels } from '../cli/engine/labels.js';
import { volumeHelperImage } from '../cli/engine/secrets/volume-helper.js';
import {
  removeTestResources,
  stackImage,
  testEngine,
  testLabels,
  uniqueName,
} from './support/engine.js';
import { call, containerIds, type ProjectFixture, projectFixture } from './up-fixture.js';

let p: ProjectFixture;

beforeAll(async () => {
  p = await projectFixture('esteps-up');
});

afterAll(async () => {
  await p?.[Symbol.asyncDispose]();
  await removeTestResources();
});

describe('esteps up / down / ps on one project', () => {
  it('brings the stack up from nothing to a healthy service that keeps users', async () => {
    const since = Math.floor(Date.now() / 1000);
    const result = await p.up();
    expect(result.changed).toBe(true);
    // The generated values and every service's secret files go through one helper container.
    const created = await containersCreatedSince(p.project, since);
    expect(created.filter((c) => c.image === volumeHelperImage)).toHaveLength(1);
    const plan = result.plan;
    expect(plan.map((o) => `${o.action} ${o.target}`)).toEqual([
      `create network ${p.project}_appmesh`,
      `create volume ${p.project}_pgdata`,
      `build image esteps/${p.project}-usersvc:latest`,
      `create container ${p.project}-postgres-1`,
      'wait postgres healthy',
      `create container ${p.project}-usersvc-1`,
      'wait usersvc answering its HTTP probe',
    ]);
    expect(result.services[1]?.urls).toEqual([p.url('/user/health')]);
    const services = result.services;
    expect(services[0]).toMatchObject({
      service: 'postgres',
      image: stackImage('ESTEPS_POSTGRES_IMAGE'),
    });
    // A stand-in that `npm run setup` built says which official image it replaces.
    const standIn = stackImage('ESTEPS_POSTGRES_IMAGE').startsWith('esteps-local/');
    expect((services[0] as { standInFor?: string }).standInFor).toBe(
      standIn ? 'postgres:16-bookworm' : undefined,
    );

    const health = await call('GET', p.url('/user/health'));
    expect(health).toMatchObject({ status: 200, body: { ok: true, database: 'up' } });
    const put = await call('PUT', p.url('/user/alice'), {
      fullname: 'Alice',
      password: 'alicerules',
    });
    expect(put.status).toBe(201);
    const get = await call('GET', p.url('/user/alice'));
    expect(get).toMatchObject({ status: 200, body: { fullname: 'Alice' } });
  });

  it('changes nothing on a second up, and says so (built CLI, --json)', async () => {
    await p.up();
    const before = await containerIds(p.project);
    const since = Math.floor(Date.now() / 1000);
    const { exitCode, json } = await p.cli(['up', '--json']);
    expect(exitCode).toBe(0);
    expect(json).toMatchObject({ ok: true, changed: false, project: p.project });
    // On the engine's own host the secrets are read from their volumes' folders: not even a
    // helper container is created (cli/engine/secrets/local-volume-read.ts).
    expect(await containersCreatedSince(p.project, since)).toEqual([]);
    // Nothing to change: it only read, so it took no lock (no esteps-lock.<project> made).
    expect(await containersCreatedSince(p.project, since, labels.lock)).toEqual([]);
    const plan = json.plan as { action: string; target: string; cause: string }[];
    expect(plan.map((o) => `${o.action} ${o.target}: ${o.cause}`)).toEqual([
      `unchanged network ${p.project}_appmesh: exists`,
      `unchanged volume ${p.project}_pgdata: exists`,
      `unchanged image esteps/${p.project}-usersvc:latest: build inputs unchanged`,
      `unchanged container ${p.project}-postgres-1: up to date`,
      'wait postgres healthy: still ready?',
      `unchanged container ${p.project}-usersvc-1: up to date`,
      'wait usersvc answering its HTTP probe: still ready?',
    ]);
    expect(await containerIds(p.project)).toEqual(before);
    const text = await p.cli(['up']);
    expect(text.stdout).toContain('nothing to do');
  });

  it('recreates usersvc alone when its configuration changes', async () => {
    await upWithAlice();
    const before = await containerIds(p.project);
    const { docker } = await testEngine();
    const oldPort = p.port;
    const server = await listen(0);
    const freed = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    p.port = freed;
    const result = await p.up();
    const plan = result.plan;
    expect(plan).toContainEqual(
      expect.objectContaining({
        action: 'recreate',
        target: `container ${p.project}-usersvc-1`,
        cause: 'config hash changed',
      }),
    );
    expect(plan).toContainEqual(
      expect.objectContaining({ action: 'unchanged', target: `container ${p.project}-postgres-1` }),
    );
    const after = await containerIds(p.project);
    expect(after.postgres).toBe(before.postgres);
    expect(after.usersvc).not.toBe(before.usersvc);
    expect((await call('GET', p.url('/user/alice'))).status).toBe(200);
    const info = await docker.getContainer(after.usersvc!).inspect();
    expect(info.NetworkSettings.Ports['5000/tcp']?.[0]?.HostPort).toBe(String(freed));
    expect(oldPort).not.toBe(freed);
  });

  it('fails with PORT_IN_USE when the host port is taken, and recovers with another', async () => {
    await upWithAlice();
    const blocker = await listen(0);
    const taken = (blocker.address() as { port: number }).port;
    try {
      const { exitCode, json } = await p.cli(['up', '--json'], {
        ESTEPS_USERSVC_PORT: String(taken),
      });
      expect(exitCode).toBe(6);
      expect(json).toMatchObject({ ok: false, error: { code: 'PORT_IN_USE' } });
      expect(JSON.stringify(json)).toContain('ESTEPS_USERSVC_PORT');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    const again = await p.up();
    expect(again.changed).toBe(true);
    expect((await call('GET', p.url('/user/alice'))).status).toBe(200);
  });

  it('lists the containers with ps --json', async () => {
    await p.up();
    // What a build's step container looks like to the engine: the image's labels (project,
    // service), no replica. ps lists the services' containers only.
    const { docker } = await testEngine();
    const step = await docker.createContainer({
      Image: stackImage('ESTEPS_NODE_IMAGE'),
      Cmd: ['true'],
      Labels: testLabels({ [labels.project]: p.project, [labels.service]: 'usersvc' }),
    });
    const { exitCode, json } = await p
      .cli(['ps', '--json'])
      .finally(() => step.remove({ force: true, v: true }));
    expect(exitCode).toBe(0);
    const containers = json.containers as {
      service: string;
      name: string;
      state: string;
      health: string;
      ports: { hostIp: string; hostPort: number; containerPort: number; url?: string }[];
      image: string;
      startedAt: string | null;
      uptimeSeconds: number | null;
    }[];
    expect(containers.map((c) => [c.service, c.name, c.state])).toEqual([
      ['postgres', `${p.project}-postgres-1`, 'running'],
      ['usersvc', `${p.project}-usersvc-1`, 'running'],
    ]);
    expect(containers[0]!.health).toBe('healthy');
    expect(containers[1]!.ports).toEqual([
      { hostIp: '127.0.0.1', hostPort: p.port, containerPort: 5000, url: p.url('/user/health') },
    ]);
    // The uptime is the time since the container started, by the engine's own start time.
    const usersvc = containers[1]!;
    const sinceStart = (Date.now() - Date.parse(usersvc.startedAt ?? '')) / 1000;
    expect(Number.isInteger(usersvc.uptimeSeconds), String(usersvc.uptimeSeconds)).toBe(true);
    expect(Math.abs(usersvc.uptimeSeconds! - sinceStart)).toBeLessThan(3);
    expect(containers[1]!.image).toBe(`esteps/${p.project}-usersvc:latest`);
  });

  it('shows the service logs, demultiplexed, and no password in them', async () => {
    await upWithAlice();
    const all = await p.cli(['logs', 'usersvc', '--json']);
    expect(all.exitCode).toBe(0);
    const lines = all.json.lines as { container: string; stream: string; text: string }[];
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.container === `${p.project}-usersvc-1`)).toBe(true);
    // The engine's 8-byte frame headers are gone: every line is the service's own JSON log.
    expect(lines.some((l) => l.text.startsWith('{') && l.text.includes('"msg":"listening"'))).toBe(
      true,
    );
    expect(all.stdout).not.toContain('alicerules');

    const tail = await p.cli(['logs', '--tail', '1']);
    expect(tail.exitCode).toBe(0);
    const shown = tail.stdout.trim().split('\n');
    expect(shown).toHaveLength(2);
    expect(shown.map((l) => l.split(' | ')[0]!.trim()).sort()).toEqual([
      `${p.project}-postgres-1`,
      `${p.project}-usersvc-1`,
    ]);
  });

  it('down removes only the project, keeps its data, and the next up brings it back', async () => {
    await upWithAlice();
    const { docker } = await testEngine();
    const foreignName = uniqueName('esteps-foreign');
    await docker.createNetwork({
      Name: foreignName,
      Labels: testLabels({ [labels.project]: 'someone-else' }),
    });
    const foreign = await docker.createContainer({
      name: foreignName,
      Image: stackImage('ESTEPS_NODE_IMAGE'),
      Cmd: ['sleep', '600'],
      Labels: testLabels(),
    });

    // The user service's /app/releases (its image's VOLUME): anonymous, it goes with its
    // container, as the next up never finds it again.
    const usersvc = await docker.getContainer(`${p.project}-usersvc-1`).inspect();
    const anonymous = usersvc.Mounts.flatMap((m) =>
      m.Type === 'volume' && /^[0-9a-f]{64}$/.test(m.Name ?? '') ? [m.Name as string] : [],
    );
    expect(anonymous).toHaveLength(1);
    const down = await p.down();
    expect(down.removed).toEqual({
      containers: [`${p.project}-postgres-1`, `${p.project}-usersvc-1`],
      services: [],
      networks: [`${p.project}_appmesh`],
      // Listed when a recreate had carried it over by name; gone either way (below).
      volumes: expect.any(Array),
      secrets: [],
      images: [],
      kept: ['volumes kept (--volumes removes them)'],
    });
    expect(await containerIds(p.project)).toEqual({});
    const ps = await p.cli(['ps', '--json']);
    expect(ps.json).toEqual({ ok: true, project: p.project, containers: [] });
    expect((await foreign.inspect()).Id).toBe(foreign.id);
    expect((await docker.getNetwork(foreignName).inspect()).Name).toBe(foreignName);
    const volumes = await docker.listVolumes({
      filters: { label: [`${labels.project}=${p.project}`] },
    });
    // The data, and the project's secrets with it (README "Security").
    expect(volumes.Volumes.map((v) => v.Name).sort()).toEqual(projectVolumes(p.project));
    for (const name of anonymous) {
      await expect(docker.getVolume(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
    }
    expect(down.removed.volumes.every((v: string) => anonymous.includes(v))).toBe(true);

    const up = await p.up();
    const plan = up.plan;
    expect(plan).toContainEqual(
      expect.objectContaining({ action: 'unchanged', target: `volume ${p.project}_pgdata` }),
    );
    expect(plan).toContainEqual(
      expect.objectContaining({
        action: 'unchanged',
        target: `image esteps/${p.project}-usersvc:latest`,
      }),
    );
    expect(await call('GET', p.url('/user/alice'))).toMatchObject({
      status: 200,
      body: { fullname: 'Alice' },
    });
  });

  it('down --volumes removes the data and the built image, not a name the user gave it', async () => {
    await upWithAlice();
    const { docker } = await testEngine();
    const built = `esteps/${p.project}-usersvc:latest`;
    const kept = `esteps-test-kept/${p.project}:v1`;
    const id = (await docker.getImage(built).inspect()).Id;
    await docker.getImage(built).tag({ repo: `esteps-test-kept/${p.project}`, tag: 'v1' });
    let down: Awaited<ReturnType<typeof p.down>>;
    try {
      down = await p.down(true);
      // The user's name keeps the image (and its layers); esteps' own name is gone.
      expect((await docker.getImage(kept).inspect()).Id).toBe(id);
      await expect(docker.getImage(built).inspect()).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      await docker
        .getImage(kept)
        .remove()
        .catch(() => undefined);
    }
    const removed = down.removed;
    expect([...removed.volumes].sort()).toEqual(projectVolumes(p.project));
    expect(removed.images).toEqual([built]);
    // Without another name, the image itself goes.
    await p.up();
    const again = await p.down(true);
    expect(again.removed.images).toEqual([built]);
    await expect(docker.getImage(id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const up = await p.up();
    expect(up.plan).toContainEqual(
      expect.objectContaining({ action: 'build', cause: 'no existing image' }),
    );
    expect((await call('GET', p.url('/user/alice'))).status).toBe(404);
  });
});

/**
 * Each test starts from what it needs, not from what the test before it left: the project up
 * (a no-op when it already is) and user alice stored.
 */
async function upWithAlice(): Promise<void> {
  await p.up();
  const put = await call('PUT', p.url('/user/alice'), {
    fullname: 'Alice',
    password: 'alicerules',
  });
  expect([201, 409]).toContain(put.status);
}

/** Step 1's volumes of a project: its data, its secrets, and each service's secret files. */
function projectVolumes(project: string): string[] {
  return [
    `${project}.secrets`,
    `${project}.secrets.postgres`,
    `${project}.secrets.usersvc`,
    `${project}_pgdata`,
  ].sort();
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Names of the project's containers the engine created since `since` (seconds). */
/** The containers of `project` created since then (build steps' too): name and image. */
async function containersCreatedSince(
  project: string,
  since: number,
  /** The label naming the project: the project's own, or its lock's (labels.lock). */
  label: string = labels.project,
): Promise<{ name: string; image: string }[]> {
  const { docker } = await testEngine();
  const stream = (await docker.getEvents({
    since,
    until: Math.ceil(Date.now() / 1000),
    filters: { type: ['container'], event: ['create'], label: [`${label}=${project}`] },
  })) as unknown as AsyncIterable<Buffer>;
  let text = '';
  for await (const chunk of stream) text += chunk.toString('utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(
      (line) =>
        (JSON.parse(line) as { Actor: { Attributes: { name: string; image: string } } }).Actor
          .Attributes,
    );
}
