import type { CommandResult, RegisterCommand } from '../command.js';
import type { PatchedReplica } from '../engine/patch-replica.js';
import { formatPlanSteps } from '../engine/plan-step.js';
import { type HotpatchOutcome, hotpatch } from '../operations/hotpatch.js';
import { formatTable } from '../ui/table.js';
import {
  type ProjectOptions,
  projectInput,
  type TargetOptions,
  withProjectOptions,
  withTargetOption,
} from './project-options.js';

export interface HotpatchOptions extends ProjectOptions, TargetOptions {
  /** A copy of the project's sources to patch from. @default the stack's own */
  readonly source?: string;
}

/** The outcome as lines: each replica, where the time went (or a Swarm's rolling update). */
export function formatHotpatch(result: HotpatchOutcome): string {
  if (result.steps.length > 0) {
    return `${formatPlanSteps(result.project, result.steps, true)}\n${result.services.map((s) => `${s.service} serves ${s.version}`).join(', ')} (${result.durationMs} ms)`;
  }
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

/** The line progress ends with. */
function summary(result: HotpatchOutcome): string {
  const changed = result.services.some((s) => s.replicas.some((r) => !r.unchanged));
  return changed || result.steps.length > 0
    ? `${result.services.map((s) => `${s.service} serves ${s.version}`).join(', ')} (${result.durationMs} ms)`
    : `${result.services.map((s) => `${s.service} already serves ${s.version}`).join(', ')}`;
}

export const registerHotpatch: RegisterCommand = (program, run) => {
  withTargetOption(
    withProjectOptions(
      program
        .command('hotpatch')
        .argument('[service...]', 'only these services (default: every hot-patchable one)')
        .description(
          'Copy the current code of hot-patchable services into their containers and reload it',
        ),
      'print the result as one JSON document',
    ),
    'build, push and roll the new code out on the Swarm the engine is a manager of',
  )
    .option(
      '--source <dir>',
      "a copy of the project's sources to patch from (default: the stack's own)",
    )
    .action(
      run(async (ctx, options: HotpatchOptions, args): Promise<CommandResult> => {
        const result = await hotpatch(ctx, {
          ...projectInput(options),
          services: args,
          ...(options.source !== undefined && { source: options.source }),
        });
        ctx.progress.succeed(summary(result));
        return { data: result, text: formatHotpatch(result) };
      }),
    );
};
