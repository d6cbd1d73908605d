import { resolve } from 'node:path';
import { prewarmBundler } from '../bundle/bundle-code.js';
import {
  bothInOrder,
  type CommandContext,
  type CommandResult,
  type RegisterCommand,
} from '../command.js';
import { connectEngine } from '../engine/client.js';
import type { PatchedReplica } from '../engine/patch-replica.js';
import { explainError } from '../errors.js';
import { type HotpatchResult, hotpatchProject } from '../project/hotpatch-project.js';
import { type ProjectOptions, readProject, withProjectOptions } from '../project-options.js';
import { upSwarmCommand } from '../swarm/up-swarm.js';
import { formatTable } from '../ui/table.js';

export interface HotpatchOptions extends ProjectOptions {
  /** A copy of the project's sources to patch from. @default the stack's own */
  readonly source?: string;
}

/**
 * `esteps hotpatch [SERVICE...]`: bundles the code of the stack's hot-patchable services as it
 * is now, copies it into every running replica and has each supervisor reload; returns once
 * every replica serves the new version.
 */
export async function hotpatchCommand(
  ctx: CommandContext,
  options: HotpatchOptions,
  services: readonly string[] = [],
): Promise<HotpatchResult> {
  // Both are independent; a problem with the project is reported before one with the engine.
  const reading = bothInOrder(readProject(ctx, options), connectEngine(ctx.env));
  // The code is about to be bundled, and changed since the last time (or why patch?). Loading
  // esbuild blocks for 20 ms or so: after the reads above are on their way, not before.
  prewarmBundler();
  const [project, engine] = await reading;
  const result = await hotpatchProject(project, engine, {
    services,
    ...sourceOption(ctx.cwd, options.source),
    progress: ctx.progress,
    signal: ctx.signal,
  }).catch((err: unknown) =>
    explainError(err, 'INTERRUPTED', {
      message: 'Interrupted while patching.',
      hint: 'A replica the patch reached runs the new code, the others the old (esteps ps, then esteps hotpatch again to finish).',
    }),
  );
  const changed = result.services.some((s) => s.replicas.some((r) => !r.unchanged));
  ctx.progress.succeed(
    changed
      ? `${result.services.map((s) => `${s.service} serves ${s.version}`).join(', ')} (${result.durationMs} ms)`
      : `${result.services.map((s) => `${s.service} already serves ${s.version}`).join(', ')}`,
  );
  return result;
}

/** `--source DIR` made absolute; an empty value is kept, to be refused by name. */
export function sourceOption(cwd: string, source: string | undefined): { source?: string } {
  if (source === undefined) return {};
  return { source: source === '' ? '' : resolve(cwd, source) };
}

export function formatHotpatch(result: HotpatchResult): string {
  const replicas = result.services.flatMap((s) => s.replicas);
  const rows = replicas.map((r) => [
    r.container,
    r.previousVersion ?? '?',
    r.version,
    r.unchanged ? 'unchanged' : `${r.durationMs} ms`,
  ]);
  const { locateMs, bundleMs } = result.phases;
  const slowest = replicas.reduce<PatchedReplica | undefined>(
    (a, r) => (r.phases && (!a?.phases || r.durationMs > a.durationMs) ? r : a),
    undefined,
  )?.phases;
  const where = [`find ${locateMs}`, `bundle ${bundleMs}`];
  if (slowest) {
    const supervisor =
      slowest.supervisorMs === undefined ? '' : ` (supervisor ${slowest.supervisorMs})`;
    where.push(
      `copy ${slowest.copyMs}`,
      `reload ${slowest.reloadMs}${supervisor}`,
      `verify ${slowest.verifyMs}`,
    );
  }
  return `${formatTable(['CONTAINER', 'FROM', 'TO', 'TIME'], rows)}\npatched in ${result.durationMs} ms: ${where.join(', ')} ms`;
}

export const registerHotpatch: RegisterCommand = (program, run) => {
  withProjectOptions(
    program
      .command('hotpatch')
      .argument('[service...]', 'only these services (default: every hot-patchable one)')
      .description(
        'Copy the current code of hot-patchable services into their containers and reload it',
      ),
    'print the result as one JSON document',
  )
    .option(
      '--source <dir>',
      "a copy of the project's sources to patch from (default: the stack's own)",
    )
    .option('--swarm', 'build, push and roll the new code out on the Swarm DOCKER_HOST points at')
    .action(
      run(
        async (
          ctx,
          options: HotpatchOptions & { swarm?: boolean },
          args,
        ): Promise<CommandResult> => {
          if (options.swarm) {
            return upSwarmCommand(ctx, options, {
              services: args,
              ...sourceOption(ctx.cwd, options.source),
            });
          }
          const result = await hotpatchCommand(ctx, options, args);
          return { data: { ...result }, text: formatHotpatch(result) };
        },
      ),
    );
};
