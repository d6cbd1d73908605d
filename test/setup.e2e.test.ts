/**
 * `npm run setup` run again on a machine it already set up changes nothing: the engine
 * answers, every image is reused or present (none built, none pulled), `.env` is left byte
 * for byte, the images keep their IDs. A DOCKER_HOST where no engine answers is refused with
 * the reason and the next step. The link step (`npm link`, scripts/link-cli.sh) is left out:
 * run from a test it would point this machine's `esteps` at whichever checkout runs the tests.
 * What setup's image step refuses, it refuses having changed nothing: an override image no
 * engine or registry has (this machine's engine), and an engine whose data root has less than
 * 3 GiB free (an engine in a container, its `--data-root` on a 64 MiB tmpfs of this machine,
 * mounted at the same path on both sides as a local engine's data root is). Those run the
 * built step (`dist/scripts/prepare-images.js`) from a copy of the checkout with a `.env` of
 * its own: setup writes the `.env` beside its scripts, and a failure must not reach this one's.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { imageVariables } from '../stacks/model/image-defaults.js';
import { repoRoot, stackImage, testEngine, uniqueName } from './support/engine.js';
import { startRemoteEngine } from './support/remote-engines.js';

const run = (command: string, env: Record<string, string> = {}) =>
  execa('bash', ['-c', command], { cwd: repoRoot, reject: false, env, timeout: 120_000 });

const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/**
 * A copy of the checkout's built set-up step (dist/, the stand-ins' build files, the
 * dependencies linked) with `dotenv` as its `.env` (none when undefined).
 */
async function setupCopy(dotenv: string | undefined): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'esteps-setup-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(join(repoRoot, 'dist'), join(dir, 'dist'), { recursive: true });
  await mkdir(join(dir, 'scripts'));
  await cp(join(repoRoot, 'scripts', 'standins'), join(dir, 'scripts', 'standins'), {
    recursive: true,
  });
  await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  if (dotenv !== undefined) await writeFile(join(dir, '.env'), dotenv);
  return dir;
}

/** The image step of setup in `dir`, with `env` and no ESTEPS_* or DOCKER_* of this process. */
function prepareImages(dir: string, env: Record<string, string>) {
  const own = Object.entries(process.env).filter(([k]) => !/^(ESTEPS_|DOCKER_)/.test(k));
  return execa('node', [join(dir, 'dist', 'scripts', 'prepare-images.js')], {
    cwd: dir,
    env: { ...Object.fromEntries(own), ...env },
    extendEnv: false,
    reject: false,
    timeout: 120_000,
  });
}

describe('npm run setup, again', () => {
  it('changes nothing on a machine it already set up', async () => {
    const { docker } = await testEngine();
    const envBefore = await readFile(join(repoRoot, '.env'), 'utf8');
    const ids = async () =>
      Promise.all(
        imageVariables.map(async (v) => (await docker.getImage(stackImage(v)).inspect()).Id),
      );
    const idsBefore = await ids();

    const started = Date.now();
    const setup = await run('bash scripts/engine.sh && node dist/scripts/prepare-images.js');
    expect(setup.exitCode, setup.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(setup.stderr).toMatch(/^setup: Docker engine answers \(/m);
    for (const variable of imageVariables) {
      const line = setup.stderr.split('\n').find((l) => l.startsWith(`setup: ${variable} `));
      expect(line, setup.stderr).toMatch(/ (STAND-IN reused|present) /);
      expect(line).not.toMatch(/built|pulled/);
    }
    expect(await readFile(join(repoRoot, '.env'), 'utf8')).toBe(envBefore);
    expect(await ids()).toEqual(idsBefore);
  });

  it('refuses a DOCKER_HOST where no engine answers, saying what to do', async () => {
    const setup = await run('bash scripts/engine.sh', { DOCKER_HOST: 'tcp://127.0.0.1:1' });
    expect(setup.exitCode).not.toBe(0);
    expect(setup.stderr).toContain(
      'setup: error: no Docker engine answers at DOCKER_HOST=tcp://127.0.0.1:1',
    );
    expect(setup.stderr).toMatch(/^setup: next step: /m);
  });

  it('refuses an override image that is neither in the engine nor pullable, changing nothing (.env included)', async () => {
    const absent = `esteps-test/${uniqueName('absent')}:never`;
    const realEnv = await readFile(join(repoRoot, '.env'), 'utf8');
    const dotenv = realEnv.replace(
      /^ESTEPS_POSTGRES_IMAGE=.*$/m,
      `ESTEPS_POSTGRES_IMAGE=${absent}`,
    );
    expect(dotenv).toContain(`ESTEPS_POSTGRES_IMAGE=${absent}\n`);
    const dir = await setupCopy(dotenv);
    const filesBefore = await readdir(dir);
    const { docker } = await testEngine();
    const ids = () =>
      Promise.all(
        imageVariables.map(async (v) => (await docker.getImage(stackImage(v)).inspect()).Id),
      );
    const idsBefore = await ids();

    const setup = await prepareImages(dir, {});
    expect(setup.exitCode, setup.stderr).toBe(1);
    expect(setup.stderr).toBe(
      [
        `setup: error: ESTEPS_POSTGRES_IMAGE=${absent} (from .env) is not in the engine and cannot be pulled`,
        'setup: next step: load that image into the engine (docker load), or remove ESTEPS_POSTGRES_IMAGE from .env to use a stand-in',
      ].join('\n'),
    );
    expect(await readFile(join(dir, '.env'), 'utf8')).toBe(dotenv);
    expect(await readdir(dir)).toEqual(filesBefore);
    expect(await ids()).toEqual(idsBefore);
    await expect(docker.getImage(absent).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refuses an engine whose data root has less than 3 GiB free, building nothing and writing no .env', async () => {
    const small = await mkdtemp(join(tmpdir(), 'esteps-small-root-'));
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', small]);
    cleanups.push(() => rm(small, { recursive: true, force: true }));
    cleanups.push(() => execa('umount', ['-l', small]));
    const engine = await startRemoteEngine({
      stackPorts: 0,
      sharedDirs: [small],
      dockerdArgs: [`--data-root=${small}`],
    });
    cleanups.push(() => engine.remove());
    const host = `tcp://127.0.0.1:${engine.tcpPort}`;
    const info = await execa('docker', ['info', '--format', '{{.DockerRootDir}}'], {
      env: { DOCKER_HOST: host },
    });
    expect(info.stdout.trim()).toBe(small);
    const dir = await setupCopy(undefined);

    const setup = await prepareImages(dir, { DOCKER_HOST: host });
    expect(setup.exitCode, setup.stderr).toBe(1);
    expect(setup.stderr).toBe(
      [
        `setup: error: only 0.1 GiB free in ${small}; the stand-in images need 3 GiB`,
        'setup: next step: free disk space (remove what you no longer need), then rerun npm run setup',
      ].join('\n'),
    );
    expect(await readdir(dir)).not.toContain('.env');
    const images = await execa('docker', ['images', '--all', '--quiet'], {
      env: { DOCKER_HOST: host },
    });
    expect(images.stdout).toBe('');
  });
});
