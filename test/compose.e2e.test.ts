/**
 * Ejecting to docker compose works: `esteps render -o` writes a compose file, its `.env` (no
 * secret in it), the secret files compose's top-level `secrets:` reads, and the build context; Debian's docker-compose 1.29.2 accepts the file (`config`), builds and
 * starts it (`up -d --build`), and the service answers its health check and a user round
 * trip on the published 127.0.0.1 port. Torn down (`down -v`, the built image, anything left
 * with the compose project's label) even when a step fails.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationContext } from '../cli/operations/context.js';
import { render } from '../cli/operations/render.js';
import { createProgress } from '../cli/ui/progress.js';
import { imageVariables } from '../stacks/model/image-defaults.js';
import { parseEnvFile } from '../stacks/resolve/env-file.js';
import { ensureDockerCompose } from './support/compose.js';
import {
  freePort,
  removeByLabel,
  removeProject,
  stackImage,
  testEngine,
  uniqueName,
} from './support/engine.js';

const project = uniqueName('esteps-compose');
let dir: string;
let file: string;
let port: number;
let rendered: string;

/** docker-compose with this test's project and file, from the compose file's directory. */
function compose(...args: string[]) {
  return execa('docker-compose', ['-p', project, '-f', file, ...args], {
    cwd: dirname(file),
    all: true,
    reject: false,
    timeout: 600_000,
  });
}

async function waitForHealth(timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const res = await request(`http://127.0.0.1:${port}/user/health`, {
        headersTimeout: 2000,
        bodyTimeout: 2000,
      });
      const body = (await res.body.json()) as Record<string, unknown>;
      // The service listens before its database is ready and says so in `database`.
      if (res.statusCode === 200 && body.database === 'up') return body;
      last = `${res.statusCode} ${JSON.stringify(body)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const logs = await compose('logs', '--tail', '40');
  throw new Error(`usersvc never answered /user/health: ${last}\n${logs.all}`);
}

/** `esteps render -o` of step1 into the test's folder; returns what render prints. */
async function renderEject(): Promise<string> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    ESTEPS_USERSVC_PORT: String(port),
  };
  for (const variable of imageVariables) env[variable] = stackImage(variable);
  const ctx: OperationContext = {
    cwd: dir,
    env,
    progress: createProgress({ quiet: true }),
    signal: new AbortController().signal,
    output: () => undefined,
  };
  const result = await render(ctx, { stack: 'step1', project, output: file });
  return result.run ?? '';
}

/** `docker-compose up -d --build`, then the service's health: once for the tests that need it. */
let upOnce: Promise<void> | undefined;
function composeUp(): Promise<void> {
  upOnce ??= (async () => {
    const up = await compose('up', '-d', '--build');
    expect(up.exitCode, up.all).toBe(0);
    const health = await waitForHealth(120_000);
    expect(health.ok).toBe(true);
  })();
  return upOnce;
}

// Each test stands alone (`-t` may pick any): the render is done before them all, and the
// stack is brought up by whichever test needs it first.
describe('render -o, then docker-compose up --build', () => {
  beforeAll(async () => {
    await ensureDockerCompose();
    dir = await mkdtemp(join(tmpdir(), 'esteps-compose-'));
    // A folder of its own: the `.env` beside the compose file is not the one esteps reads.
    file = join(dir, 'eject', 'docker-compose.yml');
    port = await freePort();
    rendered = await renderEject();
  });

  afterAll(async () => {
    if (file) {
      const down = await compose('down', '-v', '--remove-orphans', '--timeout', '5');
      if (down.exitCode !== 0) process.stderr.write(`docker-compose down: ${down.all}\n`);
    }
    const { docker } = await testEngine();
    await removeByLabel(docker, 'com.docker.compose.project', project);
    // render -o keeps the project's secret on the engine (<project>.secrets), as up does.
    await removeProject(project);
    await docker
      .getImage(`esteps/${project}-usersvc:latest`)
      .remove({ force: true })
      .catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes the compose file, a .env without secrets, the secret files, and the build context', async () => {
    expect(rendered).toContain(`docker-compose -p ${project}`);

    const out = dirname(file);
    const envFile = join(out, '.env');
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
    const envText = await readFile(envFile, 'utf8');
    const entries = parseEnvFile(envText).entries;
    expect(Object.keys(entries).filter((k) => k.includes('SECRET'))).toEqual([]);
    expect(entries.ESTEPS_USERSVC_PORT).toBe(String(port));
    expect(entries.ESTEPS_POSTGRES_IMAGE).toBe(stackImage('ESTEPS_POSTGRES_IMAGE'));
    // The secret: a file in a folder only its owner enters.
    expect((await stat(join(out, 'secrets'))).mode & 0o777).toBe(0o700);
    const password = await readFile(join(out, 'secrets', 'db_password'), 'utf8');
    expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(envText).not.toContain(password);
    const yaml = await readFile(file, 'utf8');
    expect(yaml).not.toContain(password);
    expect(yaml).toContain('file: ./secrets/db_password');
    // Nothing was written where esteps reads its own .env.
    await expect(stat(join(dir, '.env'))).rejects.toThrow();

    for (const path of ['Dockerfile', 'app/service.js', 'app/supervisor.js']) {
      expect((await stat(join(out, 'usersvc', path))).isFile()).toBe(true);
    }
  });

  it('is accepted by docker-compose config', async () => {
    const config = await compose('config');
    expect(config.exitCode, config.all).toBe(0);
    expect(config.stdout).toContain(`127.0.0.1:${port}:5000`);
  });

  it('comes up with docker-compose up -d --build and serves a user round trip', async () => {
    await composeUp();
    const name = `alice${Date.now() % 100000}`;
    const created = await request(`http://127.0.0.1:${port}/user/${name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fullname: 'Alice', password: 'alicerules' }),
    });
    const createdBody = (await created.body.json()) as Record<string, unknown>;
    expect(created.statusCode, JSON.stringify(createdBody)).toBe(201);
    const read = await request(`http://127.0.0.1:${port}/user/${name}`);
    const readBody = (await read.body.json()) as Record<string, unknown>;
    expect(read.statusCode).toBe(200);
    expect(readBody).toMatchObject({ ok: true, fullname: 'Alice', uuid: createdBody.uuid });
  });

  it('publishes only on 127.0.0.1 and runs the service as a non-root user', async () => {
    await composeUp();
    const { docker } = await testEngine();
    const [container] = await docker.listContainers({
      filters: {
        label: [`com.docker.compose.project=${project}`, 'com.docker.compose.service=usersvc'],
      },
    });
    expect(container).toBeDefined();
    const info = await docker.getContainer(container!.Id).inspect();
    expect(info.Config.User).toBe('10001:10001');
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    expect(info.Config.Env?.join('\n')).not.toMatch(/PASSWORD=/);
    expect(info.HostConfig.PortBindings).toEqual({
      '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }],
    });
    // Docker's own health check (the rendered one) passes: "Up (healthy)", never merely "Up"
    // (which "Up (unhealthy)" and "Up (health: starting)" would also match).
    const deadline = Date.now() + 60_000;
    let status = '';
    while (status !== 'healthy' && Date.now() < deadline) {
      status = (await docker.getContainer(container!.Id).inspect()).State.Health?.Status ?? 'none';
      if (status !== 'healthy') await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe('healthy');
    const ps = await compose('ps');
    expect(ps.stdout).toMatch(/usersvc\S*\s.*\sUp \(healthy\)/);
  });
});
