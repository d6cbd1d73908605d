/**
 * What the engine would refuse, the stack refuses first: a user's stack with several such
 * mistakes makes `esteps up` and `esteps render` exit 3 with every problem and its path,
 * before anything is created on the engine; a host port that clashes only through a
 * variable's value is refused the same way once the variable is read (CONFIG_INVALID, naming
 * the variable, its value and where it was set), and so is an ESTEPS_PROJECT that is no
 * project name. Through the built CLI, against the real engine.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import {
  freePort,
  projectLeftovers,
  removeProject,
  stackImage,
  uniqueName,
} from './support/engine.js';

let home: string;
const projects: string[] = [];

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'esteps-validation-'));
});

afterAll(async () => {
  for (const project of projects) await removeProject(project);
  await rm(home, { recursive: true, force: true });
});

/** A folder holding `esteps.stack.ts` (and `.env` when given). */
async function stackFolder(name: string, source: string, dotEnv?: string): Promise<string> {
  const dir = join(home, name);
  await mkdir(dir);
  await writeFile(join(dir, 'esteps.stack.ts'), source);
  if (dotEnv !== undefined) await writeFile(join(dir, '.env'), dotEnv);
  return dir;
}

function esteps(args: string[], cwd: string, env: Record<string, string> = {}) {
  return runCli(args, { cwd, env: { XDG_CACHE_HOME: join(home, 'cache'), ...env } });
}

/** An image the engine has (setup's Node.js stand-in), so `up` would otherwise get going. */
const image = () => stackImage('ESTEPS_NODE_IMAGE');

describe('a stack the engine would refuse', () => {
  it('up and render exit 3 with every problem and its path, and nothing is created', async () => {
    const port = await freePort();
    const dir = await stackFolder(
      'mistakes',
      `import { defineStack } from 'esteps';

export default defineStack({
  name: 'mistakes',
  networks: { mesh: {} },
  services: {
    web: {
      image: ${JSON.stringify(image())},
      command: [],
      environment: { GREETING: 'hi\\u0000there' },
      capDrop: ['CHWON'],
      capAdd: ['NET_ADMN'],
      healthcheck: { test: ['CMD', 'true'], intervalMs: -5 },
      httpProbe: { path: '/', containerPort: 80, timeoutMs: -1 },
      ports: [{ hostIp: '0.0.0.0', hostPort: ${port}, containerPort: 80 }],
    },
    worker: {
      image: ${JSON.stringify(image())},
      command: ['sleep', 'infinity'],
      dependsOn: [{ service: 'toString' }],
      ports: [{ hostPort: ${port}, containerPort: 80 }],
      limits: { pids: 99999999999 },
    },
  },
});
`,
    );
    const expected = [
      "  services.web.command: must name the program to run; leave it out to run the image's CMD",
      '  services.web.environment.GREETING: contains a NUL character, which no command argument or environment value can carry',
      '  services.web.capDrop[0]: "CHWON" is not a Linux capability; did you mean "CHOWN"?',
      '  services.web.capAdd[0]: "NET_ADMN" is not a Linux capability; did you mean "NET_ADMIN"?',
      '  services.web.healthcheck.intervalMs: must be a whole number of milliseconds from 1 to 2147483647, got -5',
      '  services.web.httpProbe.timeoutMs: must be a whole number of milliseconds from 1 to 2147483647, got -1',
      "  services.worker.limits.pids: must be a whole number from 1 to 4194304, got 99999999999 (the kernel's largest)",
      '  services.worker.dependsOn[0]: no service "toString"',
      `  services.worker.ports[0].hostPort: host port 127.0.0.1:${port}/tcp is already published by services.web.ports[0].hostPort (0.0.0.0:${port}/tcp)`,
    ];
    const project = uniqueName('validation');
    projects.push(project);

    const up = await esteps(['up', '--json', '-p', project, '-f', dir], dir);
    expect(up.exitCode, up.stderr).toBe(3);
    const error = up.json.error as { code: string; message: string };
    expect(error.code).toBe('STACK_INVALID');
    const [first, ...lines] = error.message.split('\n');
    expect(first).toMatch(/^The stack in .*esteps\.stack\.ts is invalid \(9 problems\):$/);
    expect(lines).toEqual(expected);
    expect(await projectLeftovers(project)).toEqual([]);

    const render = await esteps(['render', '-p', project, '-f', dir], dir);
    expect(render.exitCode, render.stderr).toBe(3);
    expect(render.stdout).toBe('');
    for (const line of expected) expect(render.stderr).toContain(line);

    const upText = await esteps(['up', '-p', project, '-f', dir], dir);
    expect(upText.exitCode).toBe(3);
    for (const line of expected) expect(upText.stderr).toContain(line);
    expect(await projectLeftovers(project)).toEqual([]);
  });

  it('a host port that clashes through a variable is refused with the variable, before anything is created', async () => {
    const port = await freePort();
    const dir = await stackFolder(
      'clash',
      `import { defineStack } from 'esteps';

export default defineStack({
  name: 'clash',
  networks: { mesh: {} },
  services: {
    web: {
      image: ${JSON.stringify(image())},
      command: ['sleep', 'infinity'],
      ports: [{ hostPort: ${port}, containerPort: 80 }],
    },
    worker: {
      image: ${JSON.stringify(image())},
      command: ['sleep', 'infinity'],
      ports: [{ hostPort: { env: 'WORKER_PORT', default: '0' }, containerPort: 80 }],
    },
  },
});
`,
      `WORKER_PORT=${port}\n`,
    );
    const project = uniqueName('validation');
    projects.push(project);
    const clash = `services.worker.ports[0].hostPort: host port 127.0.0.1:${port}/tcp (WORKER_PORT=${port} in .env) is already published by services.web.ports[0].hostPort (127.0.0.1:${port}/tcp, written in the stack)`;
    for (const command of ['up', 'render']) {
      const run = await esteps([command, '--json', '-p', project, '-f', dir], dir);
      expect(run.exitCode, run.stderr).toBe(3);
      const error = run.json.error as { code: string; message: string };
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain(clash);
    }
    expect(await projectLeftovers(project)).toEqual([]);

    // The variable moved elsewhere: the same stack renders.
    const other = await freePort();
    const fine = await esteps(['render', '-p', project, '-f', dir], dir, {
      WORKER_PORT: String(other),
    });
    expect(fine.exitCode, fine.stderr).toBe(0);

    const badProject = await esteps(['render', '--json', '-f', dir], dir, {
      ESTEPS_PROJECT: 'My Project',
    });
    expect(badProject.exitCode).toBe(3);
    expect(badProject.json.error).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(
        'ESTEPS_PROJECT (in the environment) is not a valid project name',
      ),
    });
  });
});
