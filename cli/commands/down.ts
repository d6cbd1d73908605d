import type { Command } from 'commander';
import type { RegisterCommand } from '../command.js';
import { type DownOutcome, down } from '../operations/down.js';
import {
  type ProjectOptions,
  projectInput,
  type TargetOptions,
  withProjectOptions,
  withTargetOption,
} from './project-options.js';

export interface DownOptions extends ProjectOptions, TargetOptions {
  /** Also remove the project's volumes (its data) and built images. @default false */
  readonly volumes?: boolean;
}

function downText({ project, removed, volumes }: DownOutcome): string {
  const counts: [number, string][] = [
    [removed.containers.length, 'container(s)'],
    [removed.services.length, 'service(s)'],
    [removed.networks.length, 'network(s)'],
    [removed.secrets.length, 'secret(s)'],
    [removed.volumes.length, 'volume(s)'],
    [removed.images.length, 'built image(s)'],
  ];
  const parts = counts
    .filter(
      ([n, what]) =>
        n > 0 ||
        what === 'container(s)' ||
        what === 'network(s)' ||
        (volumes && what === 'volume(s)'),
    )
    .map(([n, what]) => `${n} ${what}`);
  const kept = removed.kept.length > 0 ? `; ${removed.kept.join('; ')}` : '';
  return `project ${project}: removed ${parts.join(', ')}${kept}`;
}

export const registerDown: RegisterCommand = (program: Command, run) => {
  withTargetOption(
    withProjectOptions(
      program
        .command('down')
        .description(
          "Remove the project's containers and networks (volumes and built images with --volumes)",
        ),
    ),
    'remove the project from the Swarm the engine is a manager of',
  )
    .option('--volumes', "also remove the project's named volumes (its data) and built images")
    .action(
      run<DownOptions>(async (ctx, options) => {
        const outcome = await down(ctx, { ...projectInput(options), volumes: options.volumes });
        return {
          data: { project: outcome.project, removed: outcome.removed },
          text: downText(outcome),
        };
      }),
    );
};
