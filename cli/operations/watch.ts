import { sep } from 'node:path';
import { incrementalBundler } from '../bundle/bundle-code.js';
import type { PatchedReplica } from '../engine/patch-replica.js';
import { PatchesAhead } from '../engine/patches-ahead.js';
import { EstepsError, toEstepsError } from '../errors.js';
import { hotpatchableServices, sourceRebase, watchedFolders } from '../project/hotpatch-project.js';
import { createProgress } from '../ui/progress.js';
import type { OperationContext } from './context.js';
import {
  absoluteSource,
  type HotpatchInput,
  type KeptBetweenPatches,
  patchProject,
} from './hotpatch.js';
import { type OpenedProject, openProject } from './project-input.js';

export interface WatchInput extends HotpatchInput {
  /** Quiet time in ms that ends a burst of editor events, 1 to 10000. @default 50 */
  readonly debounceMs?: number | string;
}

export interface WatchOutcome {
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
 * `ctx.output` as it happens. The project is loaded and the target connected once.
 */
export async function watch(ctx: OperationContext, input: WatchInput): Promise<WatchOutcome> {
  const debounceMs = checkDebounce(input.debounceMs);
  await using opened = await openProject(ctx, input);
  const { project } = opened;
  const services = hotpatchableServices(project, input.services);
  const source = absoluteSource(ctx.cwd, input.source);
  const folders = watchedFolders(services, sourceRebase(project, source));
  const print = (line: string) => ctx.output(`${new Date().toTimeString().slice(0, 8)} ${line}`);
  // Patch progress would fight the one-line-per-patch output.
  const quiet = { ...ctx, progress: createProgress({ quiet: true }) };
  const counts = { patches: 0, failures: 0 };
  const pending = new Set<string>();
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const kept: KeptBetweenPatches = { bundler: incrementalBundler(), ahead: new PatchesAhead() };
  const patch = async (only: readonly string[]): Promise<void> => {
    try {
      const result = await patchProject(quiet, opened, { ...input, services: only, ...kept });
      counts.patches += 1;
      for (const s of result.services) {
        const changed = s.replicas.some((r) => !r.unchanged);
        print(
          changed
            ? `patched ${s.service} to ${s.version} in ${result.durationMs} ms${phasesOf(result.phases.bundleMs ?? 0, s.replicas)}`
            : `${s.service} already serves ${s.version}`,
        );
      }
    } catch (err) {
      counts.failures += 1;
      print(failureLine(err));
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
    await firstPatch(quiet, opened, input, services, counts, kept, print);
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
    kept.ahead?.dispose();
    await kept.bundler?.dispose();
  }
  return counts;
}

/** `--debounce MS`: a whole number of milliseconds, 1 to 10000. */
export function checkDebounce(value: string | number | undefined): number {
  if (value === undefined) return 50;
  const ms = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(ms) || ms < 1 || ms > 10_000) {
    throw new EstepsError(
      'USAGE',
      `--debounce takes milliseconds from 1 to 10000, not "${value}".`,
      { hint: 'For example --debounce 200 for an editor that saves in several slow writes.' },
    );
  }
  return ms;
}

/**
 * The first patch also proves the stack is up: refuse at once rather than watch in vain.
 * Code that does not bundle or start is another matter: the next save may fix it.
 */
async function firstPatch(
  ctx: OperationContext,
  opened: OpenedProject,
  input: WatchInput,
  services: readonly { name: string }[],
  counts: { patches: number; failures: number },
  kept: KeptBetweenPatches,
  print: (line: string) => void,
): Promise<void> {
  try {
    const first = await patchProject(ctx, opened, {
      ...input,
      services: services.map((s) => s.name),
      ...kept,
    });
    counts.patches += 1;
    for (const s of first.services) print(`${s.service} serves ${s.version}`);
  } catch (err) {
    const code = toEstepsError(err).code;
    if (code !== 'HOTPATCH_FAILED' && code !== 'BUILD_FAILED') throw err;
    counts.failures += 1;
    print(failureLine(err));
    print('the old code still serves');
  }
}

async function startWatching(
  folders: readonly string[],
  onChange: (path: string) => void,
): Promise<{ close(): Promise<void> }> {
  const { watch: watchFiles } = await import('chokidar');
  const watcher = watchFiles([...folders], {
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

function failureLine(err: unknown): string {
  const error = toEstepsError(err);
  const output = typeof error.details?.output === 'string' ? `\n${error.details.output}` : '';
  return `patch failed: ${error.message}${output}`;
}
