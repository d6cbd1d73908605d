/**
 * Bundles a stack's TypeScript/JavaScript entries (`build.bundles`) into one CommonJS file
 * each, so an image needs no node_modules and a hot patch is a single file. Output is
 * deterministic for the same sources: paths in a bundle are relative to the stack's root
 * (ResolvedStack.root), so two checkouts of a project bundle the same code into the same
 * bytes, and the same code version (service/supervisor/contract.ts).
 */
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { BuildContext, BuildFailure, BuildOptions } from 'esbuild';
import type { ResolvedBundle } from '../../stacks/model/model.js';
import { packageEntries } from '../../stacks/model/package-entries.js';
import { EstepsError } from '../errors.js';
import { packageRoot, packageVersion } from '../package-root.js';
import { buildCache, cacheKey } from './build-cache.js';
import { loadEsbuild } from './load-esbuild.js';

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
  try {
    loadEsbuild()
      .transform('')
      .catch(() => undefined);
  } catch {
    // Reported by the bundling itself.
  }
}

export interface BundleOptions {
  /**
   * The code most likely changed (a hot patch): build at once, beside the cache lookup,
   * rather than after it. The cache still answers first when the code did not change.
   * @default false
   */
  readonly changed?: boolean;
  /** Builds with this incremental bundler (`esteps watch`) rather than from scratch. */
  readonly bundler?: IncrementalBundler;
  /** The cache's folder: cacheRoot(env) of the operation's environment (build-cache.ts). */
  readonly cacheDir: string;
}

/**
 * Bundles one entry; `workingDir` is the stack's root. The output is cached by the content of
 * every file it was made from (build-cache.ts): unchanged code costs a few file reads. A new
 * output is stored in the background: the caller has it at once, and the process ends only
 * once the store did.
 */
export async function bundleCode(
  bundle: ResolvedBundle,
  workingDir: string,
  options: BundleOptions,
): Promise<Buffer> {
  const file = entryFile(bundle.entry);
  const cache = buildCache(join(options.cacheDir, 'bundles'));
  const key = cacheKey(packageVersion(), file, bundle.target, workingDir);
  const run = async () => {
    const builtAt = Date.now();
    const result = await (options.bundler?.rebuild(bundle, file, workingDir) ??
      build(bundle, file, workingDir));
    // The cache only saves time: a store that fails (no writable home, or a file saved
    // again while this built: see `builtAt`) changes nothing.
    void cache
      .store(key, result.code, result.inputs, '.js', result.startedAt ?? builtAt)
      .catch(() => undefined);
    return result.code;
  };
  const lookup = () => cache.lookup(key).then((cached) => (cached ? readFile(cached) : undefined));
  if (options.changed) {
    const building = run();
    // A build started early (cli/bundle/early-bundles.ts) is usually done already: then the
    // cache is not read at all.
    const done = await Promise.race([
      building.then(
        (code) => ({ code }),
        () => undefined,
      ),
      nextTurn(),
    ]);
    if (done) return done.code;
    // Whichever has the code first: the cache (the code did not change) or the build. A
    // failed build still waits for the cache.
    const cached = lookup().then(
      (code) => code ?? building,
      () => building,
    );
    return Promise.race([cached, building.catch(() => cached)]);
  }
  return (await lookup()) ?? run();
}

/** Resolves after the current turn of the event loop (and its promise callbacks). */
const nextTurn = () => new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)));

export interface Bundled {
  readonly code: Buffer;
  /** Every file the code was made from, absolute. */
  readonly inputs: readonly string[];
  /**
   * When the build began reading its inputs (ms since the epoch), when that was before it was
   * asked for: the cache refuses an output whose inputs were written since.
   */
  readonly startedAt?: number;
}

/** esbuild's options for one entry: the same for a build and for an incremental context. */
function buildOptions(bundle: ResolvedBundle, file: string, workingDir: string) {
  return {
    metafile: true,
    write: false,
    absWorkingDir: workingDir,
    entryPoints: [file],
    bundle: true,
    platform: 'node',
    target: bundle.target,
    format: 'cjs',
    minify: false,
    // pg loads pg-native only when asked to; images carry no native modules.
    external: ['pg-native'],
    logLevel: 'silent',
    legalComments: 'none',
  } satisfies BuildOptions;
}

/** One build of one entry from scratch (no cache, no context kept). */
export async function build(
  bundle: ResolvedBundle,
  file: string,
  workingDir: string,
): Promise<Bundled> {
  try {
    return bundled(
      await loadEsbuild().build(buildOptions(bundle, file, workingDir)),
      file,
      workingDir,
    );
  } catch (err) {
    throw buildFailed(err, file, workingDir);
  }
}

function bundled(
  result: { outputFiles?: { contents: Uint8Array }[]; metafile?: { inputs: object } },
  file: string,
  workingDir: string,
): Bundled {
  const output = result.outputFiles?.[0];
  if (output === undefined) throw new Error(`esbuild produced no output for ${file}`);
  const inputs = Object.keys(result.metafile?.inputs ?? {}).map((input) =>
    resolve(workingDir, input),
  );
  return { code: Buffer.from(output.contents), inputs };
}

function buildFailed(err: unknown, file: string, workingDir: string): EstepsError {
  if (err instanceof EstepsError) return err;
  const first = (err as BuildFailure).errors?.[0];
  const where = first?.location
    ? ` (${first.location.file}:${first.location.line}:${first.location.column + 1})`
    : '';
  // Said from the stack's root, as the stack names its entries.
  const shown = relative(workingDir, file) || file;
  return new EstepsError(
    'BUILD_FAILED',
    `Bundling ${shown} failed: ${first?.text ?? String(err)}${where}.`,
    {
      hint: `Fix the error in ${shown} and run the command again.`,
      cause: err,
    },
  );
}

/**
 * Keeps one esbuild context per entry between builds (`esteps watch`): a rebuild parses again
 * only the files whose content changed, and makes the same bytes a build from scratch would.
 */
export interface IncrementalBundler {
  rebuild(bundle: ResolvedBundle, file: string, workingDir: string): Promise<Bundled>;
  dispose(): Promise<void>;
}

export function incrementalBundler(): IncrementalBundler {
  const contexts = new Map<string, Promise<BuildContext>>();
  return {
    async rebuild(bundle, file, workingDir) {
      const key = JSON.stringify([file, bundle.target, workingDir]);
      let context = contexts.get(key);
      if (context === undefined) {
        context = loadEsbuild().context(buildOptions(bundle, file, workingDir));
        contexts.set(key, context);
      }
      try {
        return bundled(await (await context).rebuild(), file, workingDir);
      } catch (err) {
        throw buildFailed(err, file, workingDir);
      }
    },
    async dispose() {
      const all = [...contexts.values()];
      contexts.clear();
      await Promise.all(all.map((c) => c.then((ctx) => ctx.dispose()).catch(() => undefined)));
    },
  };
}

/** Every bundle of a build, by its path in the context. */
export async function bundleAll(
  bundles: Readonly<Record<string, ResolvedBundle>>,
  workingDir: string,
  cacheDir: string,
): Promise<Record<string, Buffer>> {
  const entries = await Promise.all(
    Object.entries(bundles).map(
      async ([path, b]) => [path, await bundleCode(b, workingDir, { cacheDir })] as const,
    ),
  );
  return Object.fromEntries(entries);
}
