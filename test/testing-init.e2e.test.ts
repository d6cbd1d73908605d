/**
 * What `esteps init` writes tests itself: in a new folder, after `npm install --save-dev
 * vitest` (vitest 4, as the written package.json names it) and the link to esteps, `npm test`
 * brings the stack up through esteps/testing on a port of its own, checks its greeting and
 * removes it. The link is made as `npm link esteps` makes it, a symlink in node_modules, but
 * to this checkout (the global `esteps` may be another clone's).
 */
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { repoRoot, testEngine } from './support/engine.js';

let home = '';

afterAll(async () => {
  if (home) await rm(home, { recursive: true, force: true });
});

describe('esteps init, tested', () => {
  it('writes a test that `npm test` runs against the stack, leaving nothing behind', async () => {
    home = await mkdtemp(join(tmpdir(), 'esteps-init-test-'));
    const dir = join(home, 'hello-tested');
    const init = await runCli(['init', dir, '--json'], { cwd: home });
    expect(init.exitCode, init.stderr).toBe(0);
    expect(init.json.files).toEqual(expect.arrayContaining(['esteps.test.ts', 'package.json']));
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: 'hello-tested', scripts: { test: 'vitest run' } });

    const install = await execa(
      'npm',
      ['install', '--save-dev', 'vitest', '--prefer-offline', '--no-audit', '--no-fund'],
      { cwd: dir, all: true, reject: false, timeout: 300_000 },
    );
    expect(install.exitCode, install.all).toBe(0);
    await symlink(repoRoot, join(dir, 'node_modules', 'esteps'));

    const test = await execa('npm', ['test'], {
      cwd: dir,
      all: true,
      reject: false,
      env: { NO_COLOR: '1' },
      timeout: 600_000,
    });
    expect(test.exitCode, test.all).toBe(0);
    expect(test.all).toContain('1 passed');
    const { docker } = await testEngine();
    const left = await docker.listContainers({
      all: true,
      filters: { name: ['hello-tested-test-'] },
    });
    expect(left.map((c) => c.Names[0])).toEqual([]);
  });
});
