/**
 * `npm run setup` run again on a machine it already set up changes nothing: the engine
 * answers, every image is reused or present (none built, none pulled), `.env` is left byte
 * for byte, the images keep their IDs. A DOCKER_HOST where no engine answers is refused with
 * the reason and the next step. The link step (`npm link`, scripts/link-cli.sh) is left out:
 * run from a test it would point this machine's `esteps` at whichever checkout runs the tests.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { imageVariables } from '../stacks/model/image-defaults.js';
import { repoRoot, stackImage, testEngine } from './support/engine.js';

const run = (command: string, env: Record<string, string> = {}) =>
  execa('bash', ['-c', command], { cwd: repoRoot, reject: false, env, timeout: 120_000 });

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
});
