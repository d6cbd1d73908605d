import type { Command } from 'commander';
import type { CommandContext, CommandResult, RegisterCommand } from '../command.js';
import { connectEngine } from '../engine/client.js';
import { removeProject } from '../engine/remove-project.js';
import { acquireProjectLock } from '../project/project-lock.js';
import { type ProjectOptions, readProject, withProjectOptions } from '../project-options.js';
import { downSwarmCommand } from '../swarm/swarm-read-commands.js';

export interface DownOptions extends ProjectOptions {
  /** Also remove the project's named volumes (its data). @default false */
  readonly volumes?: boolean;
}

/** `esteps down`: remove the project's containers and networks (and volumes with --volumes). */
export async function downCommand(
  ctx: CommandContext,
  options: DownOptions,
): Promise<CommandResult> {
  const project = await readProject(ctx, options);
  const engine = await connectEngine(ctx.env);
  await using _lock = await acquireProjectLock(project.dir, project.name, 'down');
  const removed = await removeProject(engine.docker, project.name, {
    volumes: options.volumes ?? false,
    progress: ctx.progress,
  });
  const parts = [
    `${removed.containers.length} container(s)`,
    `${removed.networks.length} network(s)`,
    ...(options.volumes
      ? [`${removed.volumes.length} volume(s)`, `${removed.images.length} built image(s)`]
      : []),
  ];
  const kept = options.volumes ? '' : '; volumes kept (--volumes removes them)';
  return {
    data: { project: project.name, removed },
    text: `project ${project.name}: removed ${parts.join(', ')}${kept}`,
  };
}

export const registerDown: RegisterCommand = (program: Command, run) => {
  withProjectOptions(
    program
      .command('down')
      .description(
        "Remove the project's containers and networks (volumes and built images with --volumes)",
      ),
  )
    .option('--volumes', "also remove the project's named volumes (its data) and built images")
    .option('--swarm', 'remove the project from the Swarm DOCKER_HOST points at')
    .action(
      run<DownOptions & { swarm?: boolean }>((ctx, options) =>
        options.swarm ? downSwarmCommand(ctx, options) : downCommand(ctx, options),
      ),
    );
};
