import type { Command } from 'commander';
import type { CommandResult, RegisterCommand } from '../command.js';
import { formatPlanSteps } from '../engine/plan-step.js';
import { parseScale } from '../operations/scale.js';
import { type UpOutcome, up } from '../operations/up.js';
import type { EngineReport, PlannedUp, ServiceImage } from '../targets/target.js';
import { formatTable } from '../ui/table.js';
import {
  type ProjectOptions,
  projectInput,
  type TargetOptions,
  withProjectOptions,
  withTargetOption,
} from './project-options.js';

export interface UpOptions extends ProjectOptions, TargetOptions {
  /** Print the plan and change nothing. @default false */
  readonly dryRun?: boolean;
  /** `SERVICE=N`, repeatable. */
  readonly scale?: readonly string[];
}

/** `up --json`: a stable shape (fields are only ever added). */
function upJson(outcome: UpOutcome): object {
  const { addresses: _addresses, notes: _notes, details, ...rest } = outcome;
  return { ...rest, ...details };
}

/** The plan as `up` prints it before changing anything (and `--dry-run` as its result). */
export function formatUpPlan(
  planned: Pick<PlannedUp, 'project' | 'steps' | 'changed' | 'notes' | 'images'>,
  engine: EngineReport,
): string {
  return [
    `engine: ${engine.host} (${engine.source})`,
    formatPlanSteps(planned.project, planned.steps, planned.changed),
    ...planned.notes,
    formatImages(planned.images),
  ].join('\n');
}

function upText(outcome: UpOutcome): string {
  if (outcome.dryRun) {
    return `${formatUpPlan({ ...outcome, steps: outcome.plan, images: outcome.services }, outcome.engine)}\n(dry run: nothing was changed)`;
  }
  const head = outcome.changed
    ? `project ${outcome.project} is up`
    : `project ${outcome.project}: nothing to do`;
  const rows = outcome.services.flatMap((s) => [...s.urls, ...s.notes].map((u) => [s.service, u]));
  return rows.length > 0 ? `${head}\n${formatTable(['SERVICE', 'ADDRESS'], rows)}` : head;
}

function describeSource(source: string, variable: string | undefined): string {
  if (source === 'default') return `default${variable ? ` (set ${variable} to override)` : ''}`;
  if (source === 'stack') return 'stack definition';
  return `${source}${variable ? ` ${variable}` : ''}`;
}

function describeStandIn(standInFor: string | undefined): string {
  return standInFor ? `; stand-in for ${standInFor}` : '';
}

function formatImages(services: readonly ServiceImage[]): string {
  const rows = services.map((s) => {
    if (s.imageSource !== 'built') {
      return [
        s.service,
        s.image,
        `from ${describeSource(s.imageSource, s.variable)}${describeStandIn(s.standInFor)}`,
      ];
    }
    const bases = (s.bases ?? [])
      .map(
        (b) =>
          `${b.arg}=${b.image} (${describeSource(b.source, b.variable)}${describeStandIn(b.standInFor)})`,
      )
      .join(', ');
    return [s.service, s.image, `built on ${bases}`];
  });
  const table = formatTable(['SERVICE', 'IMAGE', 'SOURCE'], rows)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return `images:\n${table}`;
}

export const registerUp: RegisterCommand = (program: Command, run) => {
  withTargetOption(
    withProjectOptions(
      program
        .command('up')
        .description('Build, create and start the stack; converge what exists to what is defined'),
    ),
    'deploy to the Swarm the engine is a manager of (build, push, rolling update)',
  )
    .option('--dry-run', 'print the plan and change nothing')
    .option(
      '--scale <service=n...>',
      'replicas of a service, overriding the stack',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action(
      run<UpOptions>(async (ctx, options): Promise<CommandResult> => {
        const outcome = await up(ctx, {
          ...projectInput(options),
          dryRun: options.dryRun ?? false,
          scale: parseScale(options.scale ?? []),
          onPlan: (planned, engine) => ctx.progress.info(formatUpPlan(planned, engine)),
        });
        return { data: upJson(outcome), text: upText(outcome) };
      }),
    );
};
