/**
 * Loading a stack file: a TypeScript (or JavaScript) module that exports
 * `defineStack({...})`, compiled at run time with esbuild and evaluated in this process, so
 * an edit shows at the next command with no build. The compiled module is cached by content:
 * an unchanged stack (and unchanged files it imports) costs a few file reads and one import.
 *
 * `import ... from 'esteps'` in a stack resolves to this package's own API, wherever the
 * stack file is; everything else the stack imports is bundled in.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildFailure, Message, Plugin } from 'esbuild';
import { StackInvalidError, type StackProblem } from '../../stacks/model/errors.js';
import type { StackSpec } from '../../stacks/model/model.js';
import { validateStack } from '../../stacks/validate/validate-stack.js';
import { type BuildCache, buildCache, cacheKey, cacheRoot } from '../bundle/build-cache.js';
import { loadEsbuild } from '../bundle/load-esbuild.js';
import { EstepsError } from '../errors.js';
import { packageRoot, packageVersion } from '../package-root.js';
import { unlessStalled } from '../unless-stalled.js';
import { mapStackTrace } from './map-stack-trace.js';

export interface LoadStackOptions {
  /** Where compiled stacks are kept. @default $XDG_CACHE_HOME/esteps/stacks (~/.cache/...) */
  readonly cacheDir?: string;
  /** Paths in messages are shown relative to this directory (the working directory). */
  readonly cwd: string;
  /** The environment (XDG_CACHE_HOME: where the cache is). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Compiles (or takes from the cache) and evaluates the stack file; validates what it exports. */
export async function loadStackFile(file: string, options: LoadStackOptions): Promise<StackSpec> {
  const path = resolve(options.cwd, file);
  const show = relative(options.cwd, path) || path;
  const dir = options.cacheDir ?? join(cacheRoot(options.env), 'stacks');
  const cache = buildCache(dir);
  const key = cacheKey(packageVersion(), path);
  const module = (await cache.lookup(key)) ?? (await compile(path, show, cache, join(dir, key)));
  return evaluate(module, show, options.cwd);
}

/** Compiles the stack into one ES module in the cache; returns its path. */
async function compile(
  path: string,
  show: string,
  cache: BuildCache,
  cached: string,
): Promise<string> {
  const { build } = loadEsbuild();
  let result: Awaited<ReturnType<typeof build>>;
  try {
    result = await build({
      entryPoints: [path],
      // Source-map paths are made relative to the folder the output is cached in.
      outfile: `${cached}.mjs`,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      metafile: true,
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'silent',
      plugins: [estepsApi()],
    });
  } catch (err) {
    throw compileFailed(show, (err as BuildFailure).errors ?? [], err);
  }
  const code = result.outputFiles?.[0]?.contents;
  if (!code) throw compileFailed(show, [], new Error('esbuild produced no output'));
  const inputs = Object.keys(result.metafile?.inputs ?? {}).map((input) => resolve(input));
  // Without a writable cache the module still has to be a file to be imported.
  return cache.store(basename(cached), code, inputs, '.mjs').catch(async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'esteps-stack-')), 'stack.mjs');
    await writeFile(file, code);
    return file;
  });
}

/** `import ... from 'esteps'` means this package's API, whatever the stack's folder has. */
function estepsApi(): Plugin {
  const api = join(packageRoot(), 'stacks', 'api', 'index.ts');
  return {
    name: 'esteps-api',
    setup(b) {
      b.onResolve({ filter: /^esteps$/ }, () => ({ path: api }));
    },
  };
}

async function evaluate(module: string, show: string, cwd: string): Promise<StackSpec> {
  let exports: Record<string, unknown>;
  try {
    exports = (await unlessStalled(import(pathToFileURL(module).href), () =>
      neverSettles(show),
    )) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof EstepsError) throw err;
    if (isStackInvalid(err)) throw invalid(show, err.problems);
    // Where it threw, in the stack's own sources rather than the compiled module.
    throw evaluationFailed(show, err, await mapStackTrace(err, module), cwd);
  }
  const spec = exportedStack(exports, show);
  const problems = validateStack(spec);
  if (problems.length > 0) throw invalid(show, problems);
  return spec;
}

/** The default export, or else the one export that is an object. */
function exportedStack(exports: Record<string, unknown>, show: string): StackSpec {
  if (exports.default !== undefined) return exports.default as StackSpec;
  const candidates = Object.values(exports).filter((v) => typeof v === 'object' && v !== null);
  if (candidates.length === 1) return candidates[0] as StackSpec;
  throw new EstepsError('STACK_LOAD_FAILED', `${show} exports no stack.`, {
    hint: "Export it as the module's default: export default defineStack({ ... });",
  });
}

function isStackInvalid(err: unknown): err is { problems: StackProblem[] } {
  return (
    (err as { code?: unknown })?.code === 'STACK_INVALID' &&
    Array.isArray((err as { problems?: unknown }).problems)
  );
}

function invalid(show: string, problems: readonly StackProblem[]): StackInvalidError {
  return new StackInvalidError(show, problems, { file: show });
}

function compileFailed(show: string, errors: readonly Message[], cause: unknown): EstepsError {
  const lines = errors.map((e) => {
    const at = e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}` : show;
    return `${at}: ${e.text}`;
  });
  const first = lines[0] ?? `${show}: ${cause instanceof Error ? cause.message : String(cause)}`;
  return new EstepsError('STACK_LOAD_FAILED', `The stack file does not compile: ${first}`, {
    hint: `Fix ${show} at the place named above, then run the command again.`,
    cause,
    details: { file: show, errors: lines, ...(lines.length > 1 && { output: lines.join('\n') }) },
  });
}

function neverSettles(show: string): EstepsError {
  return new EstepsError(
    'STACK_LOAD_FAILED',
    `The stack file never finishes loading: ${show} awaits something at its top level that never settles.`,
    { hint: `Find the top-level await in ${show} (or a file it imports) and make it end.` },
  );
}

function evaluationFailed(
  show: string,
  err: unknown,
  stack: string | undefined,
  cwd: string,
): EstepsError {
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const where = throwSite(stack, cwd) ?? show;
  return new EstepsError(
    'STACK_LOAD_FAILED',
    `The stack file threw while loading: ${where}: ${reason}`,
    {
      hint: `Fix ${show} at the place named above, then run the command again.`,
      cause: err,
      details: { file: show, at: where },
    },
  );
}

/**
 * The folders of the API a stack calls into (the public API, validation, the model's errors):
 * a throw inside them is reported at the caller.
 */
const apiFolders = ['api', 'validate', 'model'];

/** `file:line:column` of the innermost frame of a stack trace in the stack's own sources. */
export function throwSite(stack: string | undefined, cwd: string): string | undefined {
  if (!stack) return undefined;
  const frames = [...stack.matchAll(/\(?((?:file:\/\/)?\/[^\s():]+):(\d+):(\d+)\)?$/gm)];
  const api = apiFolders.map((f) => join(packageRoot(), 'stacks', f));
  for (const [, raw, line, column] of frames) {
    const file = raw!.startsWith('file://') ? fileURLToPath(raw!) : raw!;
    const ours = api.includes(dirname(file));
    if (ours || file.includes('/node_modules/') || file.endsWith('.mjs')) continue;
    const shown = relative(cwd, file);
    return `${shown && !shown.startsWith('..') ? shown : file}:${line}:${column}`;
  }
  return undefined;
}
