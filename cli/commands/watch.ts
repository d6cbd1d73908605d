import { sep } from 'node:path';
import { type IncrementalBundler, incrementalBundler } from '../bundle/bundle-code.js';
import {
  bothInOrder,
  type CommandContext,
  type CommandResult,
  type RegisterCommand,
} from '../command.js';
import { connectEngine } from '../engine/client.js';
import type { PatchedReplica } from '../engine/patch-replica.js';
import { PatchesAhead } from '../engine/patches-ahead.js';
import { EstepsError, toEstepsError } from '../errors.js';
import {
  hotpatchableServices,
  hotpatchProject,
  sourceRebase,
  watchedFolders,
} from '../project/hotpatch-project.js';
import type { Project } from '../project/load-project.js';
import { type ProjectOptions, readProject, withProjectOptions } from '../project-options.js';
import { createProgress } from '../ui/progress.js';
import { sourceOption } from './hotpatch.js';

export interface WatchOptions extends ProjectOptions {
  /** A copy of the project's sources to watch and patch from. @default the stack's own */
  readonly source?: string;
  /** Quiet time in ms that ends a burst of editor events (`--debounce`). @default 50 */
  readonly debounce?: string | number;
}

export interface WatchResult {
  readonly patches: number;
  readonly failures: number;
}

/** Files whose changes never reach a service's bundle. */
const ignoredFiles = /(\.test\.ts|~|\.swp|\.swx)$|(^|[\\/])(node_modules|\.git)([\\/]|$)/;

/**
 * Patches once at start (changes made while nothing watched are not lost), then once per
 * burst of changes under the folders each hot-patchable service declares (`hotpatch.watch`),
 * until interrupted: every save, in place or by replacing the file (editors' atomic save,
 * `sed -i`), new files and deleted ones. A failed patch is reported and the watch goes on:
 * the old code still serves, and the next save gets another try. One line per patch goes to
 * stdout as it happens. The project is loaded and the engine connected once.
 */
export async function watchCommand(
  ctx: CommandContext,
  options: WatchOptions,
  names: readonly string[] = [],
): Promise<WatchResult> {
  const debounceMs = debounceOption(options.debounce);
  const [project, engine] = await bothInOrder(readProject(ctx, options), connectEngine(ctx.env));
  const source = sourceOption(ctx.cwd, options.source).source;
  const services = hotpatchableServices(project, names);
  const folders = watchedFolders(services, sourceRebase(project, source));
  // Patch progress would fight the one-line-per-patch output.
  const progress = createProgress({ quiet: true });
  const counts = { patches: 0, failures: 0 };
  const pending = new Set<string>();
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  // One esbuild context per bundle, kept between saves: a save rebuilds only what changed.
  const bundler = incrementalBundler();
  // And the next patch's processes started in the containers once a patch is done.
  const ahead = new PatchesAhead();
  const patch = async (only: readonly string[]): Promise<void> => {
    try {
      const result = await hotpatchProject(project, engine, {
        services: only,
        ...(source !== undefined && { source }),
        progress,
        signal: ctx.signal,
        bundler,
        ahead,
      });
      counts.patches += 1;
      for (const s of result.services) {
        const changed = s.replicas.some((r) => !r.unchanged);
        print(
          changed
            ? `patched ${s.service} to ${s.version} in ${result.durationMs} ms${phasesOf(result.phases.bundleMs, s.replicas)}`
            : `${s.service} already serves ${s.version}`,
        );
      }
    } catch (err) {
      counts.failures += 1;
      printFailure(err);
    }
  };
  const schedule = (): void => {
    if (running || pending.size === 0 || ctx.signal.aborted) return;
    const only = [...pending];
    pending.clear();
    running = patch(only).finally(() => {
      running = undefined;
      schedule();
    });
  };
  const changed = (path: string) => {
    if (ignoredFiles.test(path)) return;
    for (const { service, folders: roots } of folders) {
      if (roots.some((root) => path === root || path.startsWith(`${root}${sep}`)))
        pending.add(service);
    }
    clearTimeout(timer);
    timer = setTimeout(schedule, debounceMs);
  };

  // Watch before the first patch: an edit saved while it runs must not be lost.
  const watcher = await startWatching(
    folders.flatMap((f) => f.folders),
    changed,
  );
  try {
    await firstPatch(project, engine, services, source, counts, { bundler, ahead });
    running = undefined;
    print(`watching ${folders.flatMap((f) => f.folders).join(', ')}`);
    schedule();
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    clearTimeout(timer);
    await watcher.close();
    await running;
    ahead.dispose();
    await bundler.dispose();
  }
  return counts;
}

/** `--debounce MS`: a whole number of milliseconds, 1 to 10000. */
export function debounceOption(value: string | number | undefined): number {
  if (value === undefined) return 50;
  const ms = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(ms) || ms < 1 || ms > 10_000) {
    throw new EstepsError(
      'USAGE',
      `--debounce takes milliseconds from 1 to 10000, not "${value}".`,
      {
        hint: 'For example --debounce 200 for an editor that saves in several slow writes.',
      },
    );
  }
  return ms;
}

/**
 * The first patch also proves the stack is up: refuse at once rather than watch in vain.
 * Code that does not bundle or start is another matter: the next save may fix it.
 */
async function firstPatch(
  project: Project,
  engine: Awaited<ReturnType<typeof connectEngine>>,
  services: readonly { name: string }[],
  source: string | undefined,
  counts: { patches: number; failures: number },
  kept: { bundler: IncrementalBundler; ahead: PatchesAhead },
): Promise<void> {
  try {
    const first = await hotpatchProject(project, engine, {
      services: services.map((s) => s.name),
      ...(source !== undefined && { source }),
      progress: createProgress({ quiet: true }),
      ...kept,
    });
    counts.patches += 1;
    for (const s of first.services) print(`${s.service} serves ${s.version}`);
  } catch (err) {
    const code = toEstepsError(err).code;
    if (code !== 'HOTPATCH_FAILED' && code !== 'BUILD_FAILED') throw err;
    counts.failures += 1;
    printFailure(err);
    print('the old code still serves');
  }
}

async function startWatching(
  folders: readonly string[],
  onChange: (path: string) => void,
): Promise<{ close(): Promise<void> }> {
  const { watch } = await import('chokidar');
  const watcher = watch([...folders], {
    ignoreInitial: true,
    ignored: (p) => ignoredFiles.test(p),
  });
  watcher.on('all', (_event, path) => onChange(path));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return watcher;
}

/** Where a patch's time went: bundling, then the slowest replica's copy, reload and check. */
function phasesOf(bundleMs: number, replicas: readonly PatchedReplica[]): string {
  const slowest = replicas.reduce<PatchedReplica | undefined>(
    (a, r) => (r.phases && (!a || r.durationMs > a.durationMs) ? r : a),
    undefined,
  )?.phases;
  if (!slowest) return '';
  return ` (bundle ${bundleMs}, copy ${slowest.copyMs}, reload ${slowest.reloadMs}, verify ${slowest.verifyMs} ms)`;
}

function printFailure(err: unknown): void {
  const error = toEstepsError(err);
  const output = typeof error.details?.output === 'string' ? `\n${error.details.output}` : '';
  print(`patch failed: ${error.message}${output}`);
}

function print(line: string): void {
  const time = new Date().toTimeString().slice(0, 8);
  process.stdout.write(`${time} ${line}\n`);
}

export const registerWatch: RegisterCommand = (program, run) => {
  withProjectOptions(
    program
      .command('watch')
      .argument('[service...]', 'only these services (default: every hot-patchable one)')
      .description('Hot-patch the running services on every change to their code, until Ctrl-C'),
    false,
  )
    .option('--source <dir>', "a copy of the project's sources to watch and patch from")
    .option('--debounce <ms>', 'quiet time that ends a burst of saves (default: 50)')
    .action(
      run(async (ctx, options: WatchOptions, args): Promise<CommandResult> => {
        const result = await watchCommand(ctx, options, args);
        return {
          data: { ...result },
          text: `stopped watching: ${result.patches} patches, ${result.failures} failed`,
        };
      }),
    );
};
