/**
 * Step 2 on a machine without Envoy, as a user meets it through the CLI: `render` writes a
 * complete compose project whose edge configuration passes Envoy's API check and
 * docker-compose's; `up` refuses an edge whose image has no Envoy (the stand-in, or any image
 * where `envoy --version` does not run) before changing anything; an edge whose generated
 * configuration Envoy's API refuses is STACK_INVALID from `render` and `up` alike; a service
 * only the edge reaches (no published port) is waited for inside its container.
 *
 * What needs Envoy itself (`up` and `smoke` of step 2 through a running edge, Envoy's admin
 * /ready, `envoy --mode validate`) cannot run here: no Envoy binary can be had on this
 * machine, and nothing here pretends to be Envoy.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import step2 from '../stacks/builtin/step2.js';
import { checkEnvoyBootstrap } from '../stacks/envoy/check-envoy.js';
import { resolveStack } from '../stacks/resolve/resolve-stack.js';
import { runCli } from './support/cli.js';
import { ensureDockerCompose } from './support/compose.js';
import {
  freePort,
  projectLeftovers,
  removeProject,
  stackImage,
  testEngine,
  testRunId,
  uniqueName,
} from './support/engine.js';

const dirs: string[] = [];
const projects: string[] = [];
/** An image with no Envoy in it that is not one of setup's stand-ins. */
const noEnvoyImage = `esteps-test/no-envoy:${testRunId}`;

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  dirs.push(dir);
  return dir;
}

function project(prefix: string): string {
  const name = uniqueName(prefix);
  projects.push(name);
  return name;
}

afterAll(async () => {
  for (const name of projects) await removeProject(name);
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  const { docker } = await testEngine();
  await docker
    .getImage(noEnvoyImage)
    .remove({ force: true })
    .catch(() => undefined);
});

describe('esteps render --stack step2 -o FILE', () => {
  let dir: string;
  let file: string;
  let port: number;
  let name: string;

  beforeAll(async () => {
    await ensureDockerCompose();
    dir = await tempDir('esteps-step2-render');
    // A folder of its own: the .env beside the file is not the one esteps reads in `dir`.
    file = join(dir, 'eject', 'docker-compose.yml');
    port = await freePort();
    name = project('esteps-step2-render');
  });

  it('writes the compose project, the edge context with its generated envoy.yaml included', async () => {
    const run = await runCli(['render', '--stack', 'step2', '-p', name, '-o', file], {
      cwd: dir,
      env: { ESTEPS_EDGE_PORT: String(port) },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('edge/: build context');
    for (const path of ['Dockerfile', '.dockerignore', 'envoy.yaml']) {
      expect((await stat(join(dirname(file), 'edge', path))).isFile()).toBe(true);
    }
    for (const path of ['Dockerfile', 'app/service.js', 'app/supervisor.js']) {
      expect((await stat(join(dirname(file), 'usersvc', path))).isFile()).toBe(true);
    }
    const dockerfile = await readFile(join(dirname(file), 'edge', 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM \$\{ENVOY_IMAGE\}$/m);
    expect(dockerfile).toContain('RUN envoy --mode validate --config-path /etc/envoy/envoy.yaml');
    // The user service is still built FROM the Envoy image, as in step 1.
    const usersvc = await readFile(join(dirname(file), 'usersvc', 'Dockerfile'), 'utf8');
    expect(usersvc).toMatch(/^FROM \$\{ENVOY_IMAGE\}$/m);
  });

  it("carries a configuration Envoy's API accepts, the very one the stack resolves to", async () => {
    const written = parse(await readFile(join(dirname(file), 'edge', 'envoy.yaml'), 'utf8'));
    expect(checkEnvoyBootstrap(written)).toEqual([]);
    const resolved = resolveStack(step2, {
      project: name,
      file: '/stacks/builtin/step2.ts',
      env: {},
    });
    expect(written).toEqual(resolved.services.find((s) => s.name === 'edge')?.envoy?.bootstrap);
  });

  it('is accepted by docker-compose config: the edge published, the user service not', async () => {
    const config = await execa('docker-compose', ['-p', name, '-f', file, 'config'], {
      cwd: dirname(file),
      all: true,
      reject: false,
    });
    expect(config.exitCode, config.all).toBe(0);
    const services = (parse(config.stdout) as { services: Record<string, { ports?: unknown[] }> })
      .services;
    expect(services.edge?.ports).toEqual([`127.0.0.1:${port}:8080/tcp`]);
    expect(services.usersvc?.ports).toBeUndefined();
    expect(config.stdout).toContain(`ENVOY_IMAGE: ${stackImage('ESTEPS_ENVOY_IMAGE')}`);
  });
});

describe('esteps up --stack step2 where the Envoy image has no Envoy', () => {
  it('refuses the stand-in before changing anything (ENVOY_MISSING, exit 12), naming what to set', async () => {
    const dir = await tempDir('esteps-step2-up');
    const name = project('esteps-step2-standin');
    const env = { ESTEPS_EDGE_PORT: String(await freePort()) };
    const json = await runCli(['up', '--stack', 'step2', '-p', name, '--json'], { cwd: dir, env });
    expect(json.exitCode).toBe(12);
    const error = json.json.error as { code: string; message: string; hint: string };
    expect(error.code).toBe('ENVOY_MISSING');
    expect(error.message).toContain(stackImage('ESTEPS_ENVOY_IMAGE'));
    expect(error.message).toContain('stand-in for envoyproxy/envoy:v1.32-latest');
    expect(error.hint).toContain('ESTEPS_ENVOY_IMAGE');
    expect(await projectLeftovers(name)).toEqual([]);

    const text = await runCli(['up', '--stack', 'step2', '-p', name], { cwd: dir, env });
    expect(text.exitCode).toBe(12);
    expect(text.stderr).toMatch(/esteps: Service edge runs Envoy, but its Envoy image .* has none/);
    expect(text.stderr).toMatch(/hint: Set ESTEPS_ENVOY_IMAGE/);
    const dryRun = await runCli(['up', '--stack', 'step2', '-p', name, '--dry-run'], {
      cwd: dir,
      env,
    });
    expect(dryRun.exitCode).toBe(12);
    expect(await projectLeftovers(name)).toEqual([]);
  });

  it('refuses any other image in which `envoy --version` does not run, leaving no probe behind', async () => {
    // Debian with nothing added, and not labelled as a stand-in: only running it can tell.
    const context = await tempDir('esteps-no-envoy');
    await writeFile(
      join(context, 'Dockerfile'),
      `FROM esteps-local/debian:bookworm\nLABEL com.esteps.standin=""\n`,
    );
    const build = await execa(
      'docker',
      ['build', '-q', '-t', noEnvoyImage, '--label', `com.esteps.test=${testRunId}`, context],
      { env: { DOCKER_BUILDKIT: '0' }, reject: false, all: true },
    );
    expect(build.exitCode, build.all).toBe(0);

    const dir = await tempDir('esteps-step2-up');
    const name = project('esteps-step2-noenvoy');
    const run = await runCli(['up', '--stack', 'step2', '-p', name, '--json'], {
      cwd: dir,
      env: { ESTEPS_ENVOY_IMAGE: noEnvoyImage, ESTEPS_EDGE_PORT: String(await freePort()) },
    });
    expect(run.exitCode).toBe(12);
    const error = run.json.error as { code: string; message: string };
    expect(error.code).toBe('ENVOY_MISSING');
    expect(error.message).toContain(`${noEnvoyImage} (ESTEPS_ENVOY_IMAGE) has none`);
    expect(error.message).toContain('executable file not found');
    expect(await projectLeftovers(name)).toEqual([]);
  });
});

/** A one-service stack of a user's own with an edge whose routes Envoy's API refuses. */
const brokenEdgeStack = `import { defineStack } from 'esteps';

export default defineStack({
  name: 'broken-edge',
  services: {
    web: {
      image: { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' },
      command: ['node', '-e', 'require("http").createServer((q, s) => s.end("{}")).listen(5000)'],
      httpProbe: { path: '/', containerPort: 5000 },
      networks: ['mesh'],
    },
    edge: {
      image: 'esteps/{project}-edge:latest',
      build: { context: './edge', args: { ENVOY_IMAGE: 'envoyproxy/envoy:v1.32-latest' } },
      envoy: {
        listenerPort: 70000,
        routes: [{ pathPrefix: '/web/', service: 'web', retry: { attempts: -1 } }],
      },
      ports: [{ hostPort: 0, containerPort: 8080 }],
      networks: ['mesh'],
    },
  },
  networks: { mesh: {} },
});
`;

describe('an edge whose generated configuration Envoy refuses', () => {
  it('is STACK_INVALID from render and up alike, every problem with its path, before anything', async () => {
    const dir = await tempDir('esteps-broken-edge');
    await writeFile(join(dir, 'esteps.stack.ts'), brokenEdgeStack);
    const name = project('esteps-broken-edge');
    const expected = [
      'services.edge.envoy.bootstrap.static_resources.listeners[0].address.socket_address.port_value',
      'services.edge.envoy.bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].match.path_separated_prefix',
      'services.edge.envoy.bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.retry_policy.num_retries',
    ];
    for (const command of [['render'], ['render', '-o', join(dir, 'out', 'compose.yml')], ['up']]) {
      const run = await runCli([...command, '-p', name, '--json'], { cwd: dir });
      expect(run.exitCode, `${command.join(' ')}: ${run.stderr}`).toBe(3);
      const error = run.json.error as { code: string; problems: { path: string }[] };
      expect(error.code).toBe('STACK_INVALID');
      expect(error.problems.map((p) => p.path)).toEqual(expected);
    }
    await expect(stat(join(dir, 'out'))).rejects.toThrow();
    expect(await projectLeftovers(name)).toEqual([]);
  });
});

describe('a service only an edge would reach', () => {
  it('is waited for inside its container when its probe port is not published', async () => {
    const dir = await tempDir('esteps-unpublished');
    // Ready only after a second, so `up` must really wait; nothing is published.
    const script =
      'const t0=Date.now();require("http").createServer((q,s)=>{const ready=Date.now()-t0>1000;' +
      's.writeHead(ready?200:503);s.end(JSON.stringify({ok:ready}))}).listen(5000)';
    const stack = `import { defineStack } from 'esteps';

export default defineStack({
  name: 'behind-edge',
  services: {
    web: {
      image: { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' },
      command: ['/usr/local/bin/node', '-e', ${JSON.stringify(script)}],
      httpProbe: { path: '/', containerPort: 5000, expectJson: { ok: true }, timeoutMs: 30000 },
      restart: 'no',
    },
  },
});
`;
    await writeFile(join(dir, 'esteps.stack.ts'), stack);
    const name = project('esteps-unpublished');
    const up = await runCli(['up', '-p', name, '--json'], { cwd: dir });
    expect(up.exitCode, up.stderr).toBe(0);
    const plan = up.json.plan as { action: string; target: string }[];
    expect(plan).toContainEqual(
      expect.objectContaining({ action: 'wait', target: 'web answering its HTTP probe' }),
    );
    const ps = await runCli(['ps', '-p', name, '--json'], { cwd: dir });
    const [web] = ps.json.containers as { state: string; ports: unknown[] }[];
    expect(web).toMatchObject({ state: 'running', ports: [] });
  });
});
