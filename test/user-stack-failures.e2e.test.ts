/**
 * What a user of their own stack reads when `up` cannot finish, through the built CLI: hints
 * name the stack's own variables and files (never step 1's `ESTEPS_USERSVC_PORT`, `npm run
 * setup` or `templates/`) and repeat the `-f` the user gave (the same line from the same
 * folder would otherwise plan another stack); a service Docker already calls unhealthy ends
 * the wait at once (HEALTH_TIMEOUT, exit 7), not after the full minute; a builder's terminal
 * escapes never reach `--json` or a NO_COLOR stderr.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { removeProject, stackImage, uniqueName } from './support/engine.js';

let home: string;
const projects: string[] = [];
const node = { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' };
const serve = "require('node:http').createServer((q, s) => s.end('ok')).listen(5000)";

/** A stack file `app/esteps.stack.ts` under a folder of its own, with services as given. */
async function userStack(services: Record<string, unknown>, files: Record<string, string> = {}) {
  const dir = await mkdtemp(join(home, 'stack-'));
  await mkdir(join(dir, 'app'));
  await writeFile(
    join(dir, 'app', 'esteps.stack.ts'),
    `import { defineStack } from 'esteps';\nexport default defineStack({ name: 'mine', services: ${JSON.stringify(services)} });\n`,
  );
  await writeFile(
    join(dir, 'app', '.env'),
    `ESTEPS_NODE_IMAGE=${stackImage('ESTEPS_NODE_IMAGE')}\n`,
  );
  for (const [path, text] of Object.entries(files)) await writeFile(join(dir, 'app', path), text);
  const project = uniqueName('e2e-mine');
  projects.push(project);
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli([...args, '-f', 'app', '-p', project], {
      cwd: dir,
      env: { XDG_CACHE_HOME: join(home, 'cache'), ...env },
      timeoutMs: 300_000,
    });
  return { dir, project, cli };
}

function error(run: { json: Record<string, unknown> }): Record<string, string> {
  return run.json.error as Record<string, string>;
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'esteps-mine-'));
});

afterAll(async () => {
  for (const project of projects) {
    await removeProject(project);
    await execa('docker', ['image', 'rm', '-f', `${project}-web:latest`], { reject: false });
  }
  await rm(home, { recursive: true, force: true });
});

describe("a user's stack that cannot come up", () => {
  it('names the image and where the stack sets it, not setup (IMAGE_MISSING, exit 5)', async () => {
    const literal = await userStack({ web: { image: 'esteps-test/no-such-image:1' } });
    const run = await literal.cli(['up', '--json']);
    expect(run.exitCode, run.stderr).toBe(5);
    expect(error(run).hint).toContain('services.web.image');
    expect(error(run).hint).not.toContain('npm run setup');
    const variable = await userStack({
      web: { image: { env: 'WEB_IMAGE', default: 'esteps-test/no-such-image:2' } },
    });
    const viaVariable = await variable.cli(['up', '--json']);
    expect(viaVariable.exitCode).toBe(5);
    expect(error(viaVariable).hint).toContain('Set WEB_IMAGE');
    expect(error(viaVariable).hint).not.toContain('ESTEPS_');
  });

  it("names the stack's own port variable when the port is taken (PORT_IN_USE, exit 6)", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const stack = await userStack({
        web: {
          image: node,
          command: ['/usr/local/bin/node', '-e', serve],
          ports: [{ hostPort: { env: 'WEB_PORT', default: '8080' }, containerPort: 5000 }],
        },
      });
      const run = await stack.cli(['up', '--json'], { WEB_PORT: String(port) });
      expect(run.exitCode, run.stderr).toBe(6);
      expect(error(run).code).toBe('PORT_IN_USE');
      expect(error(run).hint).toContain('WEB_PORT=0 esteps up -f app');
      expect(error(run).hint).not.toContain('ESTEPS_USERSVC_PORT');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('names its own Dockerfile, with no terminal escapes in --json or under NO_COLOR (BUILD_FAILED)', async () => {
    const stack = await userStack(
      {
        web: {
          image: '{project}-web:latest',
          build: { context: '.', args: { NODE_IMAGE: node } },
        },
      },
      {
        Dockerfile:
          "ARG NODE_IMAGE\nFROM $NODE_IMAGE\nRUN printf '\\033[31mred failure\\033[0m\\n' && false\n",
      },
    );
    const run = await stack.cli(['up', '--json']);
    expect(run.exitCode, run.stderr).toBe(5);
    expect(error(run).hint).toContain(join(stack.dir, 'app', 'Dockerfile'));
    expect(error(run).hint).not.toContain('templates/');
    expect(run.stdout).toContain('red failure');
    expect(run.stdout).not.toContain('\\u001b');
    expect(run.stdout).not.toContain('\u001b');
    expect(run.stderr).not.toContain('\u001b');
  });

  it('ends the wait at once when Docker says unhealthy (HEALTH_TIMEOUT, exit 7)', async () => {
    const stack = await userStack({
      web: {
        image: node,
        command: ['/usr/local/bin/node', '-e', serve],
        healthcheck: { test: ['CMD', '/bin/false'], intervalMs: 500, retries: 2 },
      },
    });
    const started = Date.now();
    const run = await stack.cli(['up', '--json']);
    expect(run.exitCode, run.stderr).toBe(7);
    expect(error(run).code).toBe('HEALTH_TIMEOUT');
    expect(error(run).message).toContain('web is unhealthy');
    expect(Date.now() - started, 'not the full minute').toBeLessThan(40_000);
  });

  it('names the container the engine refuses to start and its reason (START_FAILED, exit 6)', async () => {
    const stack = await userStack({
      web: {
        image: node,
        // A binary the image does not have: the engine creates the container, then its
        // runtime refuses to start it.
        command: ['/usr/local/bin/no-such-server', '--port', '5000'],
        ports: [{ hostPort: 0, containerPort: 5000 }],
        httpProbe: { path: '/', containerPort: 5000 },
      },
    });
    const container = `${stack.project}-web-1`;
    for (const attempt of ['first', 'again']) {
      const run = await stack.cli(['up', '--json']);
      expect(run.exitCode, `${attempt}: ${run.stdout}\n${run.stderr}`).toBe(6);
      expect(() => JSON.parse(run.stdout)).not.toThrow();
      expect(run.json).toMatchObject({ ok: false, error: { code: 'START_FAILED', container } });
      expect(error(run).message).toMatch(
        new RegExp(`^Container ${container} did not start: .*/usr/local/bin/no-such-server`),
      );
      expect(error(run).hint).toBe(
        `Check the service configuration (esteps render -f app -p ${stack.project} shows it), then run esteps up -f app -p ${stack.project} again.`,
      );
    }
    const text = await stack.cli(['up']);
    expect(text.exitCode).toBe(6);
    expect(text.stderr).toMatch(new RegExp(`^esteps: Container ${container} did not start: `, 'm'));
    expect(text.stderr).toMatch(/^hint: Check the service configuration/m);
  });

  it('repeats the -f the user gave in a hint that names a command (NOT_RUNNING, exit 10)', async () => {
    const stack = await userStack({
      web: {
        image: node,
        command: ['/usr/local/bin/node', '-e', serve],
        ports: [{ hostPort: 0, containerPort: 5000 }],
        httpProbe: { path: '/', containerPort: 5000 },
      },
    });
    const run = await stack.cli(['smoke', '--json']);
    expect(run.exitCode, run.stderr).toBe(10);
    expect(error(run).hint).toContain(`esteps up -f app -p ${stack.project}`);
  });
});
