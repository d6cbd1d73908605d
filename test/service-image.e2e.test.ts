/**
 * The user-service image as esteps builds it (templates/usersvc plus the two bundles, legacy
 * builder): runs as uid 10001 from /app, serves the bundled version, hot-reloads a file
 * copied into /app/releases through `docker exec`, and stops cleanly and quickly.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { labels } from '../cli/engine/labels.js';
import { bundled, repoRoot } from './service-harness.js';
import { removeTestResources, stackImage, testRunId, uniqueName } from './support/engine.js';

const label = `${labels.test}=${testRunId}`;
const image = `esteps-test/usersvc:${testRunId}`;

afterAll(async () => {
  await removeTestResources();
  await execa('docker', ['rmi', '-f', image], { reject: false });
});

const docker = (...args: string[]) => execa('docker', args, { reject: false, timeout: 120_000 });

describe('user-service image', () => {
  it('builds, runs as usersvc, reloads through docker exec, stops with exit 0', async () => {
    const { service, supervisor, version } = await bundled();
    const context = mkdtempSync(join(tmpdir(), 'esteps-image-'));
    try {
      cpSync(join(repoRoot, 'templates', 'usersvc'), context, { recursive: true });
      mkdirSync(join(context, 'app'));
      cpSync(service, join(context, 'app', 'service.js'));
      cpSync(supervisor, join(context, 'app', 'supervisor.js'));
      const build = await execa(
        'docker',
        [
          'build',
          '-q',
          '--label',
          label,
          '-t',
          image,
          '--build-arg',
          `ENVOY_IMAGE=${stackImage('ESTEPS_ENVOY_IMAGE')}`,
          '--build-arg',
          `NODE_IMAGE=${stackImage('ESTEPS_NODE_IMAGE')}`,
          context,
        ],
        { env: { DOCKER_BUILDKIT: '0' }, reject: false, timeout: 300_000 },
      );
      expect(build.exitCode, build.stderr).toBe(0);
    } finally {
      rmSync(context, { recursive: true, force: true });
    }

    const name = uniqueName('esteps-test-usersvc');
    // No database on purpose: the service must serve health (database down) regardless.
    const run = await docker(
      'run',
      '-d',
      '--name',
      name,
      '--label',
      label,
      '-e',
      'PGHOST=127.0.0.1',
      image,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const inContainer = (...args: string[]) => docker('exec', name, ...args);

    const id = await inContainer('id');
    expect(id.stdout).toContain('uid=10001(usersvc) gid=10001(usersvc)');
    expect((await inContainer('pwd')).stdout).toBe('/app');
    const status = await waitStatus(inContainer);
    expect(status).toMatchObject({ ok: true, version, pid: 1 });

    const health = await inContainer(
      'node',
      '-e',
      "fetch('http://127.0.0.1:5000/user/health').then(r => r.json()).then(b => console.log(JSON.stringify(b)))",
    );
    expect(JSON.parse(health.stdout)).toMatchObject({ ok: true, version, database: 'down' });

    const patchDir = mkdtempSync(join(tmpdir(), 'esteps-patch-'));
    const patched = join(patchDir, 'next.js');
    writeFileSync(patched, `${readFileSync(service, 'utf8')}\n// next\n`);
    const copied = await docker('cp', patched, `${name}:/app/releases/next.js`);
    rmSync(patchDir, { recursive: true, force: true });
    expect(copied.exitCode, copied.stderr).toBe(0);
    const reload = await inContainer(
      'node',
      '/app/supervisor.js',
      'reload',
      '/app/releases/next.js',
    );
    expect(reload.exitCode, reload.stdout).toBe(0);
    const answer = JSON.parse(reload.stdout) as { version: string; previousVersion: string };
    expect(answer.previousVersion).toBe(version);
    expect(answer.version).not.toBe(version);
    expect((await inContainer('tail', '-c', '9', '/app/service.js')).stdout).toContain('// next');

    const started = Date.now();
    expect((await docker('stop', '-t', '15', name)).exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const exit = await docker('inspect', '-f', '{{.State.ExitCode}}', name);
    expect(exit.stdout).toBe('0');
  });
});

async function waitStatus(
  inContainer: (...args: string[]) => ReturnType<typeof docker>,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 20_000;
  let last = '';
  while (Date.now() < deadline) {
    const result = await inContainer('node', '/app/supervisor.js', 'status');
    last = `${result.stdout}${result.stderr}`;
    if (result.exitCode === 0) return JSON.parse(result.stdout) as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`supervisor status never answered: ${last}`);
}
