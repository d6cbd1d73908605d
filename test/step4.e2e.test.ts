/**
 * Step 4 on a machine without Envoy, as a user meets it through the CLI: `render` writes the
 * compose project with the user service's context holding its generated envoy.yaml (checked
 * like the edge's, and `esteps envoy check` agrees), docker-compose accepts it, and `up` refuses
 * before creating anything, naming both services that run Envoy. A stack whose edge or proxy
 * timeouts Envoy would refuse is refused by the stack's own validation, before anything is
 * written.
 *
 * What needs Envoy itself (the user service reaching Postgres through its Envoy, `smoke`
 * through both) cannot run here: no Envoy binary can be had on this machine.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from './support/cli.js';
import { ensureDockerCompose } from './support/compose.js';
import {
  freePort,
  projectLeftovers,
  removeProject,
  repoRoot,
  stackImage,
  uniqueName,
} from './support/engine.js';

const dirs: string[] = [];
const projects: string[] = [];

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
});

describe('esteps render --stack step4 -o FILE', () => {
  let file: string;
  let name: string;
  let port: number;

  beforeAll(async () => {
    await ensureDockerCompose();
    const dir = await tempDir('esteps-step4-render');
    file = join(dir, 'eject', 'docker-compose.yml');
    name = project('esteps-step4-render');
    port = await freePort();
    const run = await runCli(['render', '--stack', 'step4', '-p', name, '-o', file], {
      cwd: dir,
      env: { ESTEPS_EDGE_PORT: String(port) },
    });
    expect(run.exitCode, run.stderr).toBe(0);
  });

  it("writes the user service's context with its own Envoy: entrypoint, Dockerfile and the generated envoy.yaml", async () => {
    const context = join(dirname(file), 'usersvc');
    for (const path of [
      'Dockerfile',
      'entrypoint.sh',
      'envoy.yaml',
      'app/service.js',
      'app/supervisor.js',
    ]) {
      expect((await stat(join(context, path))).isFile(), path).toBe(true);
    }
    const dockerfile = await readFile(join(context, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM \$\{ENVOY_IMAGE\}$/m);
    expect(dockerfile).toContain(
      'RUN envoy --mode validate --config-path /etc/envoy/usersvc-envoy.yaml',
    );
    const envoy = parse(await readFile(join(context, 'envoy.yaml'), 'utf8')) as {
      static_resources: { listeners: { address: unknown }[] };
    };
    expect(envoy.static_resources.listeners.map((l) => l.address)).toEqual([
      { socket_address: { address: '127.0.0.1', port_value: 5432 } },
    ]);
    // The edge is step 2's.
    expect((await stat(join(dirname(file), 'edge', 'envoy.yaml'))).isFile()).toBe(true);
  });

  it('writes configurations esteps envoy check passes, with no warning, policy applied', async () => {
    const configs = ['usersvc/envoy.yaml', 'edge/envoy.yaml'];
    const run = await runCli(['envoy', 'check', '--policy', '--json', ...configs], {
      cwd: dirname(file),
    });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.json.files).toEqual(
      configs.map((f) => ({ file: f, kind: 'bootstrap', errors: [], warnings: [] })),
    );
  });

  it('is accepted by docker-compose config: the service reaches Postgres on its loopback', async () => {
    const config = await execa('docker-compose', ['-p', name, '-f', file, 'config'], {
      cwd: dirname(file),
      all: true,
      reject: false,
    });
    expect(config.exitCode, config.all).toBe(0);
    const services = (
      parse(config.stdout) as {
        services: Record<string, { environment?: Record<string, string>; ports?: unknown[] }>;
      }
    ).services;
    expect(services.usersvc?.environment).toMatchObject({ PGHOST: '127.0.0.1', PGPORT: '5432' });
    expect(services.usersvc?.ports).toBeUndefined();
    expect(services.edge?.ports).toEqual([`127.0.0.1:${port}:8080/tcp`]);
  });
});

describe('esteps up --stack step4 where the Envoy image has no Envoy', () => {
  it('refuses before changing anything (ENVOY_MISSING, exit 12), for the edge and the user service', async () => {
    const dir = await tempDir('esteps-step4-up');
    const name = project('esteps-step4-standin');
    const env = { ESTEPS_EDGE_PORT: String(await freePort()) };
    const run = await runCli(['up', '--stack', 'step4', '-p', name, '--json'], { cwd: dir, env });
    expect(run.exitCode).toBe(12);
    const error = run.json.error as { code: string; message: string; edges: { service: string }[] };
    expect(error.code).toBe('ENVOY_MISSING');
    expect(error.edges.map((e) => e.service).sort()).toEqual(['edge', 'usersvc']);
    expect(error.message).toContain(stackImage('ESTEPS_ENVOY_IMAGE'));
    expect(await projectLeftovers(name)).toEqual([]);
  });
});

describe('a step4-like stack with timeouts Envoy would refuse', () => {
  it('is STACK_INVALID from render, with the paths in the stack, and nothing is written', async () => {
    const dir = await tempDir('esteps-step4-timeouts');
    const stack = `import { defineStack } from 'esteps';
import step4 from '${join(repoRoot, 'stacks/builtin/step4.ts')}';

const { edge, usersvc } = step4.services;
export default defineStack({
  ...step4,
  name: 'bad-timeouts',
  services: {
    ...step4.services,
    edge: { ...edge, envoy: { routes: [{ pathPrefix: '/user', service: 'usersvc', timeoutMs: -1000, retry: { perTryTimeoutMs: -500 } }] } },
    usersvc: { ...usersvc, envoy: { routes: [], tcpProxies: [{ listenerPort: 5432, service: 'postgres', port: 5432, idleTimeoutMs: -1 }] } },
  },
});
`;
    await writeFile(join(dir, 'esteps.stack.ts'), stack);
    const run = await runCli(['render', '-o', join(dir, 'out', 'compose.yml'), '--json'], {
      cwd: dir,
    });
    expect(run.exitCode, run.stderr).toBe(3);
    const error = run.json.error as { code: string; problems: { path: string }[] };
    expect(error.code).toBe('STACK_INVALID');
    expect(error.problems.map((p) => p.path)).toEqual([
      'services.usersvc.envoy.tcpProxies[0].idleTimeoutMs',
      'services.edge.envoy.routes[0].timeoutMs',
      'services.edge.envoy.routes[0].retry.perTryTimeoutMs',
    ]);
    await expect(stat(join(dir, 'out'))).rejects.toThrow();
  });
});
