/**
 * `up --scale SERVICE=N` on one engine where the service publishes a fixed host port (README
 * "Commands": more containers, and a fixed host port can serve only one): refused before
 * anything changes, as a stack of N replicas on a fixed port is, naming the stack's own
 * variable; with the variable at 0, as the hint says, the same `--scale` is honoured.
 * (The honoured path itself: test/replicas-logs.e2e.test.ts.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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

const project = uniqueName('e2e-scale');
let dir: string;

const server = "require('node:http').createServer((q, s) => s.end('ok')).listen(5000)";
const service = {
  image: { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' },
  command: ['/usr/local/bin/node', '-e', server],
  ports: [{ hostPort: { env: 'WEB_PORT', default: '8080' }, containerPort: 5000 }],
  httpProbe: { path: '/', containerPort: 5000 },
};

const esteps = (args: string[], env: Record<string, string>) =>
  runCli([...args, '-p', project, '--json'], { cwd: dir, env, timeoutMs: 180_000 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esteps-scale-'));
  await writeFile(
    join(dir, 'esteps.stack.ts'),
    `import { defineStack } from 'esteps';\nexport default defineStack({ name: 'scaled', services: { web: ${JSON.stringify(service)} } });\n`,
  );
  await writeFile(join(dir, '.env'), `ESTEPS_NODE_IMAGE=${stackImage('ESTEPS_NODE_IMAGE')}\n`);
});

afterAll(async () => {
  await removeProject(project);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('esteps up --scale on one engine, a fixed host port', () => {
  it('is refused before anything changes, naming the variable (exit 2); at 0 it is honoured', async () => {
    const port = String(await freePort());
    for (const extra of [[], ['--dry-run']]) {
      const run = await esteps(['up', '--scale', 'web=2', ...extra], { WEB_PORT: port });
      expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(2);
      expect(run.json).toMatchObject({
        ok: false,
        error: {
          code: 'USAGE',
          message: `--scale web=2: 2 replicas cannot all publish host port ${port} (services.web.ports[0].hostPort).`,
          hint: 'Set WEB_PORT=0 (the engine picks a port for each replica), or scale web to 1.',
        },
      });
    }
    expect(await projectLeftovers(project), 'nothing was created').toEqual([]);
    const one = await esteps(['up', '--scale', 'web=1', '--dry-run'], { WEB_PORT: port });
    expect(one.exitCode, one.stdout).toBe(0);

    const scaled = await esteps(['up', '--scale', 'web=2'], { WEB_PORT: '0' });
    expect(scaled.exitCode, `${scaled.stdout}\n${scaled.stderr}`).toBe(0);
    const ps = await esteps(['ps'], { WEB_PORT: '0' });
    expect((ps.json.containers as { name: string }[]).map((c) => c.name).sort()).toEqual([
      `${project}-web-1`,
      `${project}-web-2`,
    ]);
  });
});
