/**
 * What README "Security" promises, through the CLI on a real step 1 project (its own name and
 * port): the database password is nowhere a user or another container's inspector can read
 * it by accident (`--json`, `render`, logs, `docker inspect` of every container, the built
 * image's history), only in /run/secrets files owned by each service's user, mode 0400; the
 * containers are hardened as the stack says; the secret follows the project on the engine
 * (a deleted `.esteps/` and a second checkout reach the same data); a data volume whose
 * secret is gone is SECRET_MISMATCH (exit 13) within seconds, deleting nothing; and
 * `down --volumes` removes the secrets with the data. The steps run in order on one project.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labels } from '../cli/engine/labels.js';
import { secretFilesVolumeName } from '../cli/engine/names.js';
import { readProjectSecrets, secretsVolumeName } from '../cli/engine/secrets/project-secrets.js';
import { imageVariables } from '../stacks/model/image-defaults.js';
import { runCli } from './support/cli.js';
import { stackImage, testEngine } from './support/engine.js';
import { call, type ProjectFixture, projectFixture } from './up-fixture.js';

let p: ProjectFixture;
let password = '';

beforeAll(async () => {
  p = await projectFixture('esteps-sec');
});

afterAll(async () => {
  await p?.[Symbol.asyncDispose]();
});

/** Every container of the project, inspected. */
async function inspectAll() {
  const { docker } = await testEngine();
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${labels.project}=${p.project}`] },
  });
  return Promise.all(list.map((c) => docker.getContainer(c.Id).inspect()));
}

describe('security of a step 1 project', () => {
  it('keeps the password out of --json, render, logs, docker inspect and the image history', async () => {
    const up = await p.cli(['up', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const { docker } = await testEngine();
    password = (await readProjectSecrets(docker, p.project)).dbPassword ?? '';
    expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(
      await call('PUT', p.url('/user/sec-alice'), { fullname: 'A', password: 'alicerules' }),
    ).toMatchObject({ status: 201 });

    const outputs = [
      up,
      await p.cli(['up', '--json']),
      await p.cli(['ps', '--json']),
      await p.cli(['render']),
      await p.cli(['render', '--json']),
      await p.cli(['logs', '--tail', '500']),
    ];
    for (const run of outputs) {
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).not.toContain(password);
      expect(run.stderr).not.toContain(password);
    }
    const containers = await inspectAll();
    expect(containers.map((c) => c.Config.Labels[labels.service]).sort()).toEqual([
      'postgres',
      'usersvc',
    ]);
    for (const info of containers) {
      expect(JSON.stringify(info)).not.toContain(password);
      expect(info.Config.Env.filter((e) => /PASSWORD=/.test(e))).toEqual([]);
    }
    const image = docker.getImage(`esteps/${p.project}-usersvc:latest`);
    expect(JSON.stringify(await image.history())).not.toContain(password);
    expect(JSON.stringify(await image.inspect())).not.toContain(password);
  });

  it('hands each service its secret as a 0400 file of its own user, and hardens the containers', async () => {
    const stat = async (service: string) =>
      (
        await execa('docker', [
          'exec',
          `${p.project}-${service}-1`,
          'stat',
          '-c',
          '%a %u:%g',
          '/run/secrets/db_password',
        ])
      ).stdout;
    expect(await stat('usersvc')).toBe('400 10001:10001');
    expect(await stat('postgres')).toBe('400 999:999');

    const byService = Object.fromEntries(
      (await inspectAll()).map((c) => [c.Config.Labels[labels.service], c]),
    );
    const usersvc = byService.usersvc!;
    expect(usersvc.Config.User).toBe('10001:10001');
    expect(usersvc.HostConfig.ReadonlyRootfs).toBe(true);
    expect(usersvc.HostConfig.CapDrop).toEqual(['ALL']);
    expect(usersvc.HostConfig.CapAdd ?? []).toEqual([]);
    expect(usersvc.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
    expect(usersvc.HostConfig.PidsLimit).toBe(256);
    expect(usersvc.HostConfig.Memory).toBe(1024 * 1024 * 1024);
    expect(Object.keys(usersvc.HostConfig.Tmpfs ?? {}).sort()).toEqual(['/tmp']);
    // Hot patches land in a volume of the container (the image's VOLUME), so a restart runs them.
    expect(
      (usersvc.Mounts as { Type: string; Destination: string }[])
        .filter((m) => m.Destination === '/app/releases')
        .map((m) => m.Type),
    ).toEqual(['volume']);
    // The root filesystem refuses writes; /tmp (in memory) and the releases volume take them.
    const write = (path: string) =>
      execa('docker', ['exec', `${p.project}-usersvc-1`, 'sh', '-c', `echo x > ${path}`], {
        reject: false,
      });
    expect((await write('/app/x')).exitCode).not.toBe(0);
    expect((await write('/app/releases/x')).exitCode).toBe(0);
    expect((await write('/tmp/x')).exitCode).toBe(0);

    const postgres = byService.postgres!;
    expect(postgres.HostConfig.CapDrop).toEqual(['ALL']);
    expect(postgres.HostConfig.CapAdd?.sort()).toEqual([
      'CHOWN',
      'DAC_OVERRIDE',
      'FOWNER',
      'SETGID',
      'SETUID',
    ]);
    expect(postgres.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
    expect(postgres.HostConfig.PidsLimit).toBe(512);
    // The database is never published.
    expect(postgres.HostConfig.PortBindings ?? {}).toEqual({});
  });

  it('rewrites a secret file that changed on the engine: a warm up writes only what differs', async () => {
    const postgresImage = (
      await execa('docker', ['inspect', '-f', '{{.Config.Image}}', `${p.project}-postgres-1`])
    ).stdout;
    expect((await p.cli(['down'])).exitCode).toBe(0);
    // The service's files volume (kept by `down`) now holds a wrong value, readable by all.
    await execa('docker', [
      'run',
      '--rm',
      '--user',
      '0',
      '--network',
      'none',
      '-v',
      `${secretFilesVolumeName(p.project, 'usersvc')}:/s`,
      '--entrypoint',
      'sh',
      postgresImage,
      '-c',
      'echo wrong > /s/db_password && chmod 0644 /s/db_password',
    ]);
    const up = await p.cli(['up', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const file = (command: string[]) =>
      execa('docker', ['exec', `${p.project}-usersvc-1`, ...command]).then((r) => r.stdout);
    expect(await file(['stat', '-c', '%a %u:%g', '/run/secrets/db_password'])).toBe(
      '400 10001:10001',
    );
    expect(await file(['cat', '/run/secrets/db_password'])).toBe(password);
    expect(await call('GET', p.url('/user/sec-alice'))).toMatchObject({ status: 200 });
  });

  it('reaches the same data after .esteps/ is deleted and from a second checkout', async () => {
    expect((await p.cli(['down'])).exitCode).toBe(0);
    await rm(join(p.dir, '.esteps'), { recursive: true, force: true });
    const again = await p.cli(['up', '--json']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(await call('GET', p.url('/user/sec-alice'))).toMatchObject({ status: 200 });

    // A second checkout: another folder, the same project on the same engine.
    expect((await p.cli(['down'])).exitCode).toBe(0);
    const second = await mkdtemp(join(tmpdir(), `${p.project}-second-`));
    try {
      const images = imageVariables.map((v) => `${v}=${stackImage(v)}`).join('\n');
      await writeFile(join(second, '.env'), `${images}\n`);
      const up = await runCli(['up', '-p', p.project], {
        cwd: second,
        env: { ESTEPS_USERSVC_PORT: String(p.port) },
      });
      expect(up.exitCode, up.stderr).toBe(0);
      expect(up.stderr).not.toContain(password);
      expect(await call('GET', p.url('/user/sec-alice'))).toMatchObject({ status: 200 });
    } finally {
      await rm(second, { recursive: true, force: true });
    }
  });

  it('says SECRET_MISMATCH (exit 13) within seconds when the data outlived its secret, deleting nothing', async () => {
    expect((await p.cli(['down'])).exitCode).toBe(0);
    const { docker } = await testEngine();
    await docker.getVolume(secretsVolumeName(p.project)).remove();
    const started = Date.now();
    const up = await p.cli(['up', '--json']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(up.exitCode).toBe(13);
    const error = up.json.error as { code: string; message: string; hint: string };
    expect(error.code).toBe('SECRET_MISMATCH');
    expect(error.message).toContain(`${p.project}_pgdata`);
    expect(error.message).toContain('dbPassword');
    // The command as the user runs it: with the project they gave (-p).
    expect(error.hint).toContain(`esteps down -p ${p.project} --volumes`);
    expect(error.hint).toContain(secretsVolumeName(p.project));
    // Nothing was deleted, nothing started, and no new secret was made.
    await docker.getVolume(`${p.project}_pgdata`).inspect();
    expect(await readProjectSecrets(docker, p.project)).toEqual({});
    expect((await inspectAll()).filter((c) => c.State.Running).map((c) => c.Name)).toEqual([]);
  });

  it("SECRET_MISMATCH's way out: the old value in .esteps/<project>/secrets.env, which up imports, reaches the same data", async () => {
    const { docker } = await testEngine();
    expect(await readProjectSecrets(docker, p.project)).toEqual({});
    const legacy = join(p.dir, '.esteps', p.project, 'secrets.env');
    await mkdir(dirname(legacy), { recursive: true });
    await writeFile(legacy, `ESTEPS_SECRET_DB_PASSWORD=${password}\n`, { mode: 0o600 });
    const up = await p.cli(['up', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(`${up.stdout}${up.stderr}`).not.toContain(password);
    // Imported onto the engine, where every checkout finds it; the data is the same data.
    expect((await readProjectSecrets(docker, p.project)).dbPassword).toBe(password);
    expect(await call('GET', p.url('/user/sec-alice'))).toMatchObject({ status: 200 });
    const login = await call('POST', p.url('/user/sec-alice/login'), { password: 'alicerules' });
    expect(login.status).toBe(200);
    // Read whenever the engine lacks the secret: the user deletes it once it is imported.
    await rm(legacy);
  });

  it('down --volumes removes the secrets with the data, and the next up starts over', async () => {
    const down = await p.cli(['down', '--volumes']);
    expect(down.exitCode, down.stderr).toBe(0);
    const { docker } = await testEngine();
    const { Volumes } = await docker.listVolumes({
      filters: { label: [`${labels.project}=${p.project}`] },
    });
    expect((Volumes ?? []).map((v) => v.Name)).toEqual([]);
    const up = await p.cli(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await call('GET', p.url('/user/sec-alice'))).toMatchObject({ status: 404 });
    expect((await readProjectSecrets(docker, p.project)).dbPassword).not.toBe(password);
  });
});
