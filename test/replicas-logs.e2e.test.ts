/**
 * A user stack with two replicas of one hot-patchable service (`esteps init`'s image and
 * service, `replicas: 2`), through the built CLI: `hotpatch` takes the new code into both
 * replicas; `logs` merges both containers' lines in time order; `logs -f` follows until
 * Ctrl-C, and ends quietly when its reader goes away (`| head -1`); `smoke` stops on Ctrl-C,
 * runs the stack's cleanup and exits 130.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, runCli } from './support/cli.js';
import { removeProject, repoRoot, uniqueName } from './support/engine.js';

const project = uniqueName('e2e-replicas');
let dir = '';
let file = '';
let urls: string[] = [];

const stackFile = (marker: string) => `import { defineStack } from 'esteps';

export default defineStack({
  name: 'replicas',
  services: {
    web: {
      image: '{project}-web:latest',
      build: {
        context: '.',
        args: { NODE_IMAGE: { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' } },
        bundles: {
          'app/service.js': { entry: './service/main.ts' },
          'app/supervisor.js': { entry: 'esteps/supervisor' },
        },
      },
      replicas: 2,
      ports: [{ hostPort: 0, containerPort: 8080 }],
      httpProbe: { path: '/health', containerPort: 8080 },
      user: '10001:10001',
      hotpatch: { bundle: 'app/service.js', path: '/app/service.js', owner: '10001:10001' },
    },
  },
  smoke: {
    service: 'web',
    checks: async (t) => {
      t.cleanup(async () => {
        const { writeFile } = await import('node:fs/promises');
        await writeFile(${JSON.stringify(marker)}, 'cleaned up');
      });
      await t.check('slow', 'waits until interrupted', async () => {
        await new Promise((resolve) => {
          t.signal.addEventListener('abort', resolve);
          setTimeout(resolve, 60_000);
        });
      });
      await t.check('after', 'never runs once interrupted', async () => undefined);
    },
  },
});
`;

const service = (greeting: string) => `import http from 'node:http';
const version = process.env.SERVICE_VERSION ?? 'dev';
const server = http.createServer((req, res) => {
  if (req.url?.startsWith('/seq/')) console.log('seq', req.url.slice(5));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: true, version, greeting: ${JSON.stringify(greeting)} }));
});
server.listen(8080, '0.0.0.0', () => process.send?.({ type: 'esteps:ready', version }));
process.on('message', (m: { type?: string }) => {
  if (m?.type === 'esteps:drain') server.close(() => process.exit(0));
});
`;

const esteps = (args: string[]) =>
  runCli([...args, '-p', project], { cwd: dir, timeoutMs: 300_000 });
const get = async (url: string) => (await (await fetch(url)).json()) as Record<string, unknown>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), `${project}-`));
  file = join(dir, 'esteps.stack.ts');
  for (const name of ['Dockerfile', '.dockerignore', 'tsconfig.json']) {
    await cp(join(repoRoot, 'templates/init', name), join(dir, name));
  }
  await mkdir(join(dir, 'service'));
  await writeFile(join(dir, 'service', 'main.ts'), service('first'));
  await writeFile(file, stackFile(join(dir, 'smoke-cleanup.txt')));
  await writeFile(join(dir, '.env'), await readFile(join(repoRoot, '.env'), 'utf8'));
  const up = await esteps(['up']);
  if (up.exitCode !== 0) throw new Error(`up failed:\n${up.stdout}\n${up.stderr}`);
  const ps = await esteps(['ps', '--json']);
  const containers = ps.json.containers as { name: string; ports: { url?: string }[] }[];
  urls = containers.map((c) => new URL(c.ports[0]!.url!).origin);
});

afterAll(async () => {
  await removeProject(project);
  await execa('docker', ['image', 'rm', '-f', `${project}-web:latest`], { reject: false });
  await rm(dir, { recursive: true, force: true });
});

describe('two replicas of a user service', () => {
  it('hotpatch takes the new code into every replica', async () => {
    expect(urls).toHaveLength(2);
    expect(urls[0]).not.toBe(urls[1]);
    await writeFile(join(dir, 'service', 'main.ts'), service('second'));
    const patch = await esteps(['hotpatch', '--json']);
    expect(patch.exitCode, patch.stderr).toBe(0);
    const replicas = patch.json.replicas as { container: string; version: string }[];
    expect(replicas.map((r) => r.container).sort()).toEqual([
      `${project}-web-1`,
      `${project}-web-2`,
    ]);
    const version = patch.json.version as string;
    expect(replicas.every((r) => r.version === version)).toBe(true);
    for (const url of urls) {
      expect(await get(`${url}/`)).toMatchObject({ greeting: 'second', version });
    }
  });

  it('logs merges both replicas in time order; logs -f follows until Ctrl-C', async () => {
    // Requests alternate between the replicas, one after the other. The time a line is merged
    // by is the engine's, taken as it reads the container's output: on a busy machine that
    // read can lag a few tens of ms, so the requests are 300 ms apart.
    for (let n = 1; n <= 6; n++) {
      await get(`${urls[n % 2]}/seq/${n}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const logs = await esteps(['logs', '--json']);
    expect(logs.exitCode, logs.stderr).toBe(0);
    const seq = (logs.json.lines as { container: string; text: string }[])
      .filter((l) => l.text.startsWith('seq '))
      .map((l) => `${l.text.slice(4)} ${l.container}`);
    expect(seq).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => `${n} ${project}-web-${n % 2 === 1 ? 2 : 1}`),
    );

    const follow = execa('node', [cliPath, 'logs', '-f', '--tail', '0', '-p', project], {
      cwd: dir,
      reject: false,
      env: { NO_COLOR: '1' },
    });
    let out = '';
    follow.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const deadline = Date.now() + 20_000;
    while (!out.includes('seq follow') && Date.now() < deadline) {
      await get(`${urls[0]}/seq/follow`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(out).toMatch(new RegExp(`${project}-web-1 +\\| seq follow`));
    follow.kill('SIGINT');
    const ended = await follow;
    expect(ended.exitCode, ended.stderr).toBe(0);
  });

  it('logs -f | head -1 ends quietly once head has gone', async () => {
    const pipeline = execa(
      'bash',
      [
        '-c',
        `node ${cliPath} logs -f -p ${project} | head -1 >/dev/null; echo "exit=\${PIPESTATUS[0]}" >&2`,
      ],
      { cwd: dir, reject: false, timeout: 30_000, env: { NO_COLOR: '1' } },
    );
    let done = false;
    void pipeline.finally(() => {
      done = true;
    });
    // New lines to write after head left: the next write finds the pipe closed.
    while (!done) {
      await get(`${urls[1]}/seq/pipe`).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
    const result = await pipeline;
    expect(result.timedOut).toBe(false);
    expect(result.stderr).toContain('exit=0');
    expect(result.stderr).not.toMatch(/EPIPE|Error|at /);
  });

  it('smoke stops on Ctrl-C, runs the stack cleanup and exits 130', async () => {
    const marker = join(dir, 'smoke-cleanup.txt');
    const smoke = execa('node', [cliPath, 'smoke', '-p', project, '--json'], {
      cwd: dir,
      reject: false,
      timeout: 50_000,
      env: { NO_COLOR: '1' },
    });
    let err = '';
    smoke.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const deadline = Date.now() + 20_000;
    while (!err.includes('- smoke ') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
    const sent = Date.now();
    smoke.kill('SIGINT');
    const result = await smoke;
    expect(result.exitCode, `${result.stderr}\n${result.stdout}`).toBe(130);
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(result.stderr).toContain('Interrupted');
    const json = JSON.parse(result.stdout) as {
      ok: boolean;
      error: { code: string; checks: { name: string }[] };
    };
    expect(json).toMatchObject({ ok: false, error: { code: 'INTERRUPTED' } });
    expect(json.error.checks.map((c) => c.name)).not.toContain('after');
    expect(existsSync(marker)).toBe(true);
  });

  it('up --scale on one engine adds replicas for that up; the next up goes back to the stack', async () => {
    const names = async () => {
      const ps = await esteps(['ps', '--json']);
      return (ps.json.containers as { name: string }[]).map((c) => c.name).sort();
    };
    const scaled = await esteps(['up', '--scale', 'web=3', '--json']);
    expect(scaled.exitCode, scaled.stderr).toBe(0);
    expect(await names()).toEqual([1, 2, 3].map((n) => `${project}-web-${n}`));
    const urls3 = (scaled.json.services as { service: string; urls: string[] }[]).find(
      (s) => s.service === 'web',
    )!.urls;
    expect(new Set(urls3).size).toBe(3);
    for (const url of urls3)
      expect(await get(url.replace(/\/health$/, '/'))).toMatchObject({ ok: true });
    const back = await esteps(['up']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(await names()).toEqual([1, 2].map((n) => `${project}-web-${n}`));
    const bad = await esteps(['up', '--scale', 'nosuch=2']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('Services: web');
  });
});
