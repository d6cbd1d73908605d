import type { Removed, TargetKind } from '../targets/target.js';
import type { OperationContext } from './context.js';
import { lockProject, openProject, type ProjectInput, projectFacts } from './project-input.js';

export interface DownInput extends ProjectInput {
  /** Also remove the project's volumes (its data) and the images `up` built. @default false */
  readonly volumes?: boolean;
}

export interface DownOutcome {
  readonly project: string;
  readonly target: TargetKind;
  readonly volumes: boolean;
  readonly removed: Removed;
}

/** `esteps down`: remove what carries the project's label (volumes too with `volumes`). */
export async function down(ctx: OperationContext, input: DownInput): Promise<DownOutcome> {
  await using opened = await openProject(ctx, input);
  const { project, target } = opened;
  await using _lock = await lockProject(ctx, target, await projectFacts(project), 'down');
  const volumes = input.volumes ?? false;
  const removed = await target.remove(project.name, {
    volumes,
    progress: ctx.progress,
    signal: ctx.signal,
  });
  return { project: project.name, target: target.kind, volumes, removed };
}
