import type { Replica, TargetKind } from '../targets/target.js';
import type { OperationContext } from './context.js';
import { openProject, type ProjectInput } from './project-input.js';

export interface PsOutcome {
  readonly project: string;
  readonly target: TargetKind;
  /** Every replica of the stack's services: containers on one engine, tasks on a Swarm. */
  readonly replicas: readonly Replica[];
}

/** `esteps ps`: the project's replicas, from labels alone. */
export async function ps(ctx: OperationContext, input: ProjectInput): Promise<PsOutcome> {
  await using opened = await openProject(ctx, input);
  const { project, target } = opened;
  return {
    project: project.name,
    target: target.kind,
    replicas: await target.list(project.resolved),
  };
}
