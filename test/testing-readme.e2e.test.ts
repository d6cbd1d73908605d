/**
 * The README's examples of esteps/testing (the blocks marked `<!-- typecheck: FILE -->`: the
 * complete vitest example, the globalSetup recipe, the Node test runner's) type-check against
 * the built package, as a project that links esteps sees it: `esteps/testing` through
 * node_modules/esteps and package.json's exports, vitest's own types, strict.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, uniqueName } from './support/engine.js';

// Inside the repository (git-ignored), so that `vitest` and `esteps` resolve from its
// node_modules, as they do in a project that installed vitest and linked esteps.
const dir = join(repoRoot, '.esteps', uniqueName('readme'));

afterAll(() => rm(dir, { recursive: true, force: true }));

describe("the README's esteps/testing examples", () => {
  it('type-check against the built package', async () => {
    const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
    const blocks = [
      ...readme.matchAll(/<!-- typecheck: (\S+) -->\n```(?:ts|js)\n([\s\S]*?)```/g),
    ].map(([, file, code]) => ({ file: file!, code: code! }));
    expect(blocks.map((b) => b.file)).toEqual(
      expect.arrayContaining(['users.test.ts', 'global-setup.ts', 'users.test.mjs']),
    );
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'ESNext.Disposable'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          allowJs: true,
          checkJs: true,
          types: ['node'],
        },
        include: ['*.ts', '*.mjs'],
      }),
    );
    for (const block of blocks) await writeFile(join(dir, block.file), block.code);
    const tsc = await execa(
      'node',
      [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir],
      { reject: false },
    );
    expect(tsc.exitCode, `${tsc.stdout}\n${tsc.stderr}`).toBe(0);
  });
});
