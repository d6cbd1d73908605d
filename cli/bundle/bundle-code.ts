/**
 * Bundles a stack's TypeScript/JavaScript entries (`build.bundles`) into one CommonJS file
 * each, so an image needs no node_modules and a hot patch is a single file. Output is
 * deterministic for the same sources: paths in a bundle are relative to the stack's root
 * (ResolvedStack.root), so two checkouts of a project bundle the same code into the same
 * bytes, and the same code version (service/supervisor/contract.ts).
 */
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { BuildFailure } from 'esbuild';
import type { ResolvedBundle } from '../../stacks/model.js';
import { EstepsError } from '../errors.js';
import { packageRoot, packageVersion } from '../package-root.js';
import { buildCache, cacheKey, cacheRoot } from './build-cache.js';

/** The entries esteps itself provides to stacks (`{ entry: 'esteps/supervisor' }`). */
export const packageEntries: Readonly<Record<string, string>> = {
  'esteps/supervisor': 'service/supervisor/supervisor-main.ts',
};

/** The file an entry names: itself, or the package's file for an `esteps/...` entry. */
export function entryFile(entry: string): string {
  const own = packageEntries[entry];
  return own === undefined ? entry : join(packageRoot(), own);
}

/**
 * Starts esbuild's service process now (loading esbuild and spawning its binary), for a
 * command that is about to bundle changed code: a hot patch overlaps that start with loading
 * the project and reading the engine. Failures are left to the bundling itself to report.
 */
export function prewarmBundler(): void {
  void import('esbuild').then(
    (esbuild) => esbuild.transform('').catch(() => undefined),
    () => undefined,
  );
}

/**
 * Bundles one entry; `workingDir` is the stack's root. The output is cached by the content of
 * every file it was made from (build-cache.ts): unchanged code costs a few file reads.
 */
export async function bundleCode(bundle: ResolvedBundle, workingDir: string): Promise<Buffer> {
  const file = entryFile(bundle.entry);
  const cache = buildCache(join(cacheRoot(), 'bundles'));
  const key = cacheKey(packageVersion(), file, bundle.target, workingDir);
  const cached = await cache.lookup(key);
  if (cached) return readFile(cached);
  try {
    // Loaded on use: esbuild is the heaviest module esteps has, and most commands never bundle.
    const { build } = await import('esbuild');
    const result = await build({
      absWorkingDir: workingDir,
      entryPoints: [file],
      bundle: true,
      platform: 'node',
      target: bundle.target,
      format: 'cjs',
      minify: false,
      write: false,
      // pg loads pg-native only when asked to; images carry no native modules.
      external: ['pg-native'],
      logLevel: 'silent',
      legalComments: 'none',
      metafile: true,
    });
    const output = result.outputFiles[0];
    if (output === undefined) throw new Error(`esbuild produced no output for ${file}`);
    const inputs = Object.keys(result.metafile.inputs).map((input) => resolve(workingDir, input));
    // The cache only saves time: a store that fails (no writable home) changes nothing.
    await cache.store(key, output.contents, inputs, '.js').catch(() => undefined);
    return Buffer.from(output.contents);
  } catch (err) {
    const first = (err as BuildFailure).errors?.[0];
    const where = first?.location
      ? ` (${first.location.file}:${first.location.line}:${first.location.column + 1})`
      : '';
    const shown = relative(process.cwd(), file) || file;
    throw new EstepsError(
      'BUILD_FAILED',
      `Bundling ${shown} failed: ${first?.text ?? String(err)}${where}.`,
      {
        hint: `Fix the error in ${shown} and run the command again.`,
        cause: err,
      },
    );
  }
}

/** Every bundle of a build, by its path in the context. */
export async function bundleAll(
  bundles: Readonly<Record<string, ResolvedBundle>>,
  workingDir: string,
): Promise<Record<string, Buffer>> {
  const entries = await Promise.all(
    Object.entries(bundles).map(
      async ([path, b]) => [path, await bundleCode(b, workingDir)] as const,
    ),
  );
  return Object.fromEntries(entries);
}
