import { createRequire } from 'node:module';

type Esbuild = typeof import('esbuild');
let esbuild: Esbuild | undefined;

/**
 * esbuild, loaded on first use (most commands never bundle). Through `require`, not
 * `import()`: importing a CommonJS package from an ES module makes Node scan its source for
 * export names first (cjs-module-lexer), 20 to 30 ms of CPU for esbuild's main file, on the
 * path of every hot patch.
 */
export function loadEsbuild(): Esbuild {
  esbuild ??= createRequire(import.meta.url)('esbuild') as Esbuild;
  return esbuild;
}
