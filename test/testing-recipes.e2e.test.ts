/**
 * The README's recipes for one stack shared by many test files (README "One stack for many
 * test files"), run for real against the built package, in a folder of their own inside the
 * repository (git-ignored; `vitest` and `esteps` resolve from its node_modules, as in a
 * project that installed vitest and linked esteps, whose `.bin` holds `esteps`):
 *
 * - vitest's globalSetup: the README's `vitest.config.ts` line, `test/global-setup.ts` and
 *   `test/users.test.ts` (twice, as two test files), `vitest run` passes, and the stack is
 *   left up (reuse) until `down()` on a handle removes it;
 * - Node's test runner: the README's `test/users.test.mjs` (twice: the first file's `up`
 *   brings the stack up, the other's finds it) and its package.json scripts, `npm test`
 *   passes and its `posttest` leaves nothing of the project.
 *
 * What is changed in the README's text: the project name, `step1-test` in the recipes, is one
 * of the test's own (`project` added to the `up` call, the name replaced in the scripts), so
 * that two runs of this test at once do not remove each other's stack; and the folder gets
 * the repository's `.env` (the stand-in images: no registry here).
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { labels, projectFilter } from '../cli/engine/labels.js';
import { up } from '../cli/testing/index.js';
import { removeProject, repoRoot, testEngine, uniqueName } from './support/engine.js';
import { engineLeftovers } from './support/leftovers.js';

const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** The README's typecheck-marked blocks, by name, each with the path its first line gives. */
async function readmeBlocks(): Promise<{
  text: string;
  blocks: Map<string, { path: string; code: string }>;
}> {
  const text = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const blocks = new Map<string, { path: string; code: string }>();
  for (const [, name, code] of text.matchAll(
    /<!-- typecheck: (\S+) -->\n```(?:ts|js)\n([\s\S]*?)```/g,
  )) {
    const path = /^\/\/ (\S+?);?(?:\s|$)/.exec(code!)?.[1] ?? '';
    blocks.set(name!, { path, code: code! });
  }
  return { text, blocks };
}

/** The block's code with the recipe's project name replaced by the test's own. */
function ownProject(code: string, project: string): string {
  const changed = code.replace(
    "up({ stack: 'step1', reuse: true })",
    `up({ stack: 'step1', reuse: true, project: '${project}' })`,
  );
  expect(changed, 'the recipe brings step 1 up with reuse').not.toBe(code);
  return changed;
}

/** A folder of the test's own inside the repository, with the stand-ins' `.env`. */
async function recipeFolder(prefix: string, files: Record<string, string>): Promise<string> {
  const dir = join(repoRoot, '.esteps', uniqueName(prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await mkdir(dir, { recursive: true });
  await copyFile(join(repoRoot, '.env'), join(dir, '.env'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

/** The project's running containers by service. */
async function runningServices(project: string): Promise<string[]> {
  const { docker } = await testEngine();
  const list = await docker.listContainers({ filters: projectFilter(project) });
  return list.map((c) => c.Labels[labels.service] ?? '').sort();
}

describe("the README's recipes for one stack in many test files", () => {
  it('globalSetup: vitest runs two files against one step 1, and leaves it up', async () => {
    const { text, blocks } = await readmeBlocks();
    const setup = blocks.get('global-setup.ts');
    const users = blocks.get('users-shared.test.ts');
    expect(setup?.path).toBe('test/global-setup.ts');
    expect(users?.path).toBe('test/users.test.ts');
    const config = /`vitest\.config\.ts`: `(test: \{ globalSetup: \[[^`]*\] \})`/.exec(text)?.[1];
    expect(config, "the README's vitest.config.ts line").toBeDefined();
    const project = uniqueName('recipe-vitest');
    cleanups.push(() => removeProject(project));
    const dir = await recipeFolder('recipe-vitest', {
      'package.json': '{ "type": "module" }\n',
      'vitest.config.ts': `export default { ${config} };\n`,
      [setup!.path]: ownProject(setup!.code, project),
      [users!.path]: users!.code,
      'test/users-again.test.ts': users!.code,
    });

    const run = await execa(
      'node',
      [join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run'],
      {
        cwd: dir,
        env: { NO_COLOR: '1' },
        all: true,
        reject: false,
        timeout: 300_000,
      },
    );
    expect(run.exitCode, run.all).toBe(0);
    expect(run.all).toMatch(/Tests\s+2 passed/);
    expect(await runningServices(project)).toEqual(['postgres', 'usersvc']);

    // The README's other way to remove it, `down()` on a handle: unlike `esteps down
    // --volumes` it keeps the engine's build cache, which the next test's build of step 1
    // (the other recipe's, below) then uses.
    const handle = await up({ stack: 'step1', reuse: true, project, cwd: dir });
    await handle.down();
    expect(await engineLeftovers(project)).toEqual([]);
  });

  it('node --test: each file ups with reuse (the first brings step 1 up), and posttest removes it', async () => {
    const { blocks } = await readmeBlocks();
    const users = blocks.get('users.test.mjs');
    expect(users?.path).toBe('test/users.test.mjs');
    const scripts = /package\.json: ("test": .*)$/m.exec(users!.code)?.[1];
    expect(scripts, "the recipe's package.json scripts").toBeDefined();
    const project = uniqueName('recipe-node');
    cleanups.push(() => removeProject(project));
    const manifest = JSON.parse(`{ "scripts": { ${scripts} } }`) as {
      scripts: Record<string, string>;
    };
    expect(manifest.scripts.posttest).toContain('step1-test');
    manifest.scripts.posttest = manifest.scripts.posttest!.replace('step1-test', project);
    const dir = await recipeFolder('recipe-node', {
      'package.json': `${JSON.stringify({ name: 'recipe-node', private: true, ...manifest }, null, 2)}\n`,
      [users!.path]: ownProject(users!.code, project),
      'test/users-again.test.mjs': ownProject(users!.code, project),
    });

    const run = await execa('npm', ['test'], {
      cwd: dir,
      env: { NO_COLOR: '1' },
      all: true,
      reject: false,
      timeout: 300_000,
    });
    expect(run.exitCode, run.all).toBe(0);
    expect(run.all).toMatch(/pass 2\b/);
    expect(run.all).toMatch(/fail 0\b/);
    expect(run.all).toContain(`esteps down -p ${project} --volumes`);
    expect(await engineLeftovers(project)).toEqual([]);
  });
});
