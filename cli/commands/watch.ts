import { watch } from 'node:fs';
import { join } from 'node:path';
import type { CommandContext, CommandResult, RegisterCommand } from '../command.js';
import { toEstepsError } from '../errors.js';
import { withProjectOptions } from '../project-options.js';
import { createProgress } from '../ui/progress.js';
import { hotpatchCommand, serviceRoot } from './hotpatch.js';

export interface WatchOptions {
  readonly stack?: string;
  readonly project?: string;
  /** Directory holding the service code in `service/`. @default the esteps package */
  readonly source?: string;
  /** Quiet time that ends a burst of editor events. @default 150 */
  readonly debounceMs?: number;
}

export interface WatchResult {
  readonly patches: number;
  readonly failures: number;
}

/**
 * Patches once at start (changes made while nothing watched are not lost), then once per
 * burst of changes under service/, until interrupted. A failed patch is reported and the
 * watch goes on: the old code still serves, and the next save gets another try. One line
 * per patch goes to stdout as it happens.
 */
export async function watchCommand(
  ctx: CommandContext,
  options: WatchOptions,
): Promise<WatchResult> {
  const serviceDir = join(serviceRoot(ctx.cwd, options.source), 'service');
  const debounceMs = options.debounceMs ?? 150;
  // Patch progress would fight the one-line-per-patch output.
  const quiet: CommandContext = { ...ctx, progress: createProgress({ quiet: true }) };
  let patches = 0;
  let failures = 0;
  let dirty = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const patch = async (): Promise<void> => {
    try {
      const result = await hotpatchCommand(quiet, options);
      const changed = result.replicas.some((r) => !r.unchanged);
      patches += 1;
      print(
        changed
          ? `patched ${result.service} to ${result.version} in ${result.durationMs} ms`
          : `${result.service} already serves ${result.version}`,
      );
    } catch (err) {
      failures += 1;
      printFailure(err);
    }
  };
  const schedule = (): void => {
    if (running) {
      dirty = true;
      return;
    }
    running = patch().finally(() => {
      running = undefined;
      if (dirty && !ctx.signal.aborted) {
        dirty = false;
        schedule();
      }
    });
  };

  // Watch before the first patch: an edit saved while it runs must not be lost.
  const watcher = watch(serviceDir, { recursive: true }, (_event, file) => {
    if (file && /(\.test\.ts|~|\.swp)$/.test(String(file))) return;
    clearTimeout(timer);
    timer = setTimeout(schedule, debounceMs);
  });
  // The first patch also proves the stack is up: refuse at once rather than watch in vain.
  // Code that does not bundle or start is another matter: the next save may fix it.
  const initial = (async () => {
    try {
      const first = await hotpatchCommand(quiet, options);
      patches += 1;
      print(`watching ${serviceDir}; ${first.service} serves ${first.version}`);
    } catch (err) {
      const code = toEstepsError(err).code;
      if (code !== 'HOTPATCH_FAILED' && code !== 'BUILD_FAILED') throw err;
      failures += 1;
      printFailure(err);
      print(`watching ${serviceDir}; the old code still serves`);
    }
  })();
  running = initial.catch(() => undefined);
  try {
    await initial;
  } catch (err) {
    watcher.close();
    clearTimeout(timer);
    throw err;
  }
  running = undefined;
  if (dirty) {
    dirty = false;
    schedule();
  }

  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  watcher.close();
  clearTimeout(timer);
  await running;
  return { patches, failures };
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
      .description('Hot-patch the running service on every change under service/, until Ctrl-C'),
    false,
  )
    .option(
      '--source <dir>',
      'directory holding the service code in service/ (default: this package)',
    )
    .action(
      run(async (ctx, options: WatchOptions): Promise<CommandResult> => {
        const result = await watchCommand(ctx, options);
        return {
          data: { ...result },
          text: `stopped watching: ${result.patches} patches, ${result.failures} failed`,
        };
      }),
    );
};
