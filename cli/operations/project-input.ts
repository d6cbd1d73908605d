import { realpath } from 'node:fs/promises';
import { bothInOrder } from '../both-in-order.js';
import { EstepsError } from '../errors.js';
import { loadProject, type Project } from '../project/load-project.js';
import { readLegacySecrets } from '../project/secrets-file.js';
import { openTarget } from '../targets/open-target.js';
import type { ProjectFacts, ProjectLock, Target, TargetKind } from '../targets/target.js';
import type { OperationContext } from './context.js';

/** Which stack, which project, where: what every operation on a project takes. */
export interface ProjectInput {
  /** A stack file, or a folder holding `esteps.stack.ts`. @default `./esteps.stack.ts`, else `stack` */
  readonly file?: string;
  /** A stack that ships with esteps (`step1`, `step2`, ...). @default step1 */
  readonly stack?: string;
  /** The project name. @default ESTEPS_PROJECT, else the stack's name */
  readonly project?: string;
  /** Where the stack runs: one engine, or the Swarm whose manager the engine is. @default 'engine' */
  readonly target?: TargetKind;
}

/** A loaded project and the target it runs on. */
export interface OpenedProject extends AsyncDisposable {
  readonly project: Project;
  readonly target: Target;
}

/** The project's stack, as the options choose it; an empty value is refused, never a default. */
export function loadProjectFor(ctx: OperationContext, input: ProjectInput): Promise<Project> {
  for (const [flag, value] of [
    ['-f', input.file],
    ['--stack', input.stack],
    ['-p', input.project],
  ] as const) {
    if (value === '') {
      throw new EstepsError('USAGE', `The value given with ${flag} is empty.`, {
        hint: `Give a value, or leave ${flag} out.`,
      });
    }
  }
  return loadProject({
    cwd: ctx.cwd,
    env: ctx.env,
    ...(input.file !== undefined && { file: input.file }),
    ...(input.stack !== undefined && { stack: input.stack }),
    ...(input.project !== undefined && { project: input.project }),
  });
}

/** The target the input chooses; nothing connects until it is used. */
export function targetFor(ctx: OperationContext, input: ProjectInput): Target {
  return openTarget(input.target ?? 'engine', {
    env: ctx.env,
    ...(ctx.engineContext !== undefined && { engineContext: ctx.engineContext }),
  });
}

/**
 * Loads the project while the target connects (both independent; a problem with the project
 * is reported before one with the engine).
 */
export async function openProject(
  ctx: OperationContext,
  input: ProjectInput,
  started?: (project: Project) => void,
): Promise<OpenedProject> {
  const target = targetFor(ctx, input);
  const [project] = await bothInOrder(
    loadProjectFor(ctx, input).then((loaded) => {
      started?.(loaded);
      return loaded;
    }),
    target.connect(),
  );
  return { project, target, [Symbol.asyncDispose]: () => target[Symbol.asyncDispose]() };
}

/** What a target needs to know of a project beyond its stack. */
export async function projectFacts(project: Project): Promise<ProjectFacts> {
  return {
    name: project.name,
    dir: project.dir,
    legacySecrets: await readLegacySecrets(project.legacySecretsFile, project.resolved.secrets),
    stackFile: project.builtIn
      ? `builtin:${project.builtIn}`
      : // The same file through a symbolic link is the same stack.
        await realpath(project.file).catch(() => project.file),
  };
}

/**
 * Takes the project's lock on its target for `command` (LOCKED while another command holds
 * it), saying so when it was taken over from a holder that is gone.
 */
export async function lockProject(
  ctx: OperationContext,
  target: Target,
  facts: ProjectFacts,
  command: string,
): Promise<ProjectLock> {
  const lock = await target.lock(facts, command);
  if (lock.tookOver) {
    ctx.progress.info(`Took over the lock of project ${facts.name} from ${lock.tookOver}.`);
  }
  return lock;
}
