import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labels } from '../../cli/engine/labels.js';
import { cliPath, runCli } from '../support/cli.js';
import { removeProject, stackImage, testEngine, uniqueName } from '../support/engine.js';

/**
 * `up` interrupted (Ctrl-C, then a kill nothing can catch) while it builds and while it waits
 * for readiness. A small stack of the user's own makes both phases last: its build sleeps
 * 6 s in a RUN step after copying a file of its context that each case changes (so each
 * `up` rebuilds; build arguments are base images in esteps' model), and its service listens
 * only 6 s after it starts.
 */
const stackFile = `import { defineStack } from 'esteps';

export default defineStack({
  name: 'slowup',
  services: {
    app: {
      image: '{project}-app:latest',
      build: {
        context: '.',
        args: {
          NODE_IMAGE: { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' },
        },
      },
      command: ['/usr/local/bin/node', '/srv/slow.js'],
      ports: [{ hostPort: 0, containerPort: 5000 }],
      httpProbe: { path: '/', containerPort: 5000, timeoutMs: 60000 },
      volumes: [{ volume: 'data', target: '/data' }],
      networks: ['net'],
      restart: 'unless-stopped',
    },
  },
  networks: { net: {} },
  volumes: { data: {} },
});
`;

const dockerfile = `ARG NODE_IMAGE=node:20-bookworm-slim
FROM \${NODE_IMAGE}
COPY nonce.txt /nonce.txt
RUN sleep 6
COPY slow.js /srv/slow.js
`;

const service = `setTimeout(() => {
  require('node:http').createServer((_q, s) => s.end('ok')).listen(5000);
}, 6000);
process.on('SIGTERM', () => process.exit(0));
`;

let dir: string;
const projects: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esteps-slowup-'));
  await writeFile(join(dir, 'esteps.stack.ts'), stackFile);
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  await writeFile(join(dir, 'slow.js'), service);
  await writeFile(join(dir, '.env'), `ESTEPS_NODE_IMAGE=${stackImage('ESTEPS_NODE_IMAGE')}\n`);
});

afterAll(async () => {
  for (const project of projects) {
    await runCli(['down', '--volumes', '-p', project], { cwd: dir }).catch(() => undefined);
    await removeProject(project);
    const { docker } = await testEngine();
    await docker
      .getImage(`${project}-app:latest`)
      .remove({ force: true })
      .catch(() => undefined);
  }
  await rm(dir, { recursive: true, force: true });
});

/** Starts `esteps up` and sends `signal` 1.5 s after its stderr shows `phase`; its exit. */
function interruptUp(
  project: string,
  phase: RegExp,
  signal: NodeJS.Signals,
): Promise<{
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  sawPhase: boolean;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [cliPath, 'up', '-p', project], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let sawPhase = false;
    const bound = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!sawPhase && phase.test(stderr)) {
        sawPhase = true;
        setTimeout(() => child.kill(signal), 1500);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      clearTimeout(bound);
      resolve({ code, signal: sig, stderr, sawPhase });
    });
  });
}

/** What the engine holds with the project's label, by kind. */
async function labelled(project: string) {
  const { docker } = await testEngine();
  const filters = { label: [`${labels.project}=${project}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return {
    containers: containers.map((c) => `${c.Names[0]?.slice(1)} ${c.State}`).sort(),
    networks: networks.map((n) => n.Name).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
  };
}

const cases = [
  { phase: 'build', pattern: /- build image /, signal: 'SIGINT' },
  { phase: 'build', pattern: /- build image /, signal: 'SIGKILL' },
  { phase: 'health wait', pattern: /- wait app /, signal: 'SIGINT' },
  { phase: 'health wait', pattern: /- wait app /, signal: 'SIGKILL' },
] as const;

describe('up interrupted', () => {
  it.each(cases)(
    'by $signal during the $phase: the next up converges, nothing orphaned',
    async ({ pattern, signal }) => {
      const project = uniqueName('fault-int');
      projects.push(project);
      await writeFile(join(dir, 'nonce.txt'), `${project}\n`);
      const interrupted = await interruptUp(project, pattern, signal);
      expect(interrupted.sawPhase, interrupted.stderr).toBe(true);
      if (signal === 'SIGINT') {
        expect(interrupted.code, interrupted.stderr).toBe(130);
      } else {
        expect(interrupted.signal).toBe('SIGKILL');
      }

      const up = await runCli(['up', '-p', project, '--json'], {
        cwd: dir,
        timeoutMs: 120_000,
      });
      expect(up.exitCode, up.stderr).toBe(0);
      expect(await labelled(project)).toEqual({
        containers: [`${project}-app-1 running`],
        networks: [`${project}_net`],
        volumes: [`${project}_data`],
      });
      const again = await runCli(['up', '-p', project, '--json'], {
        cwd: dir,
        timeoutMs: 120_000,
      });
      expect([again.exitCode, again.json.changed], again.stderr).toEqual([0, false]);

      const down = await runCli(['down', '--volumes', '-p', project], { cwd: dir });
      expect(down.exitCode, down.stderr).toBe(0);
      expect(await labelled(project)).toEqual({ containers: [], networks: [], volumes: [] });
    },
  );
});
