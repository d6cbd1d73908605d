import { resolve } from 'node:path';
import { assertStackEdges } from '../../stacks/envoy/check-edges.js';
import type { ResolvedStack } from '../../stacks/model/model.js';
import { displayPath, type WrittenCompose, writeCompose } from '../project/write-compose.js';
import type { OperationContext } from './context.js';
import { loadProjectFor, type ProjectInput, projectFacts, targetFor } from './project-input.js';

export interface RenderInput extends ProjectInput {
  /**
   * Write the file here (relative to the working directory), with the project's secret files
   * under `secrets/`, a `.env` and each built service's context beside it. @default none: the
   * outcome holds the YAML
   */
  readonly output?: string;
}

export interface RenderOutcome {
  readonly project: string;
  /** The resolved stack the file was rendered from (it holds no secret value). */
  readonly stack: ResolvedStack;
  /** The file's text (YAML with its header). */
  readonly yaml: string;
  /** What `output` wrote, when given. */
  readonly written?: WrittenCompose;
  /** The command that runs the written file. */
  readonly run?: string;
}

/**
 * `esteps render`: the stack as a file for another tool (the target's: a compose file, or a
 * Swarm stack file for `docker stack deploy`), what a user gets by ejecting. The file never
 * holds a secret value. Nothing is read from the engine unless `output` is given: then the
 * project's secret values are fetched (generated on first need, as `up` does) and written as
 * files beside it (write-compose.ts: `.env`, contexts, WRITE_FAILED). A stack whose edge
 * configuration Envoy's API refuses is STACK_INVALID, every problem with its path.
 */
export async function render(ctx: OperationContext, input: RenderInput): Promise<RenderOutcome> {
  const project = await loadProjectFor(ctx, input);
  const stack = project.resolved;
  // An edge's Envoy configuration is checked against Envoy's API before anything is written.
  await assertStackEdges(stack);
  await using target = targetFor(ctx, input);
  const ejected = await target.eject(stack);
  // Loaded here: the YAML writer is large and only render needs it.
  const { toYaml } = await import('../../stacks/render/to-yaml.js');
  const yaml = toYaml(ejected.rendered.document, ejected.header);
  if (input.output === undefined) return { project: project.name, stack, yaml };
  ctx.progress.start('Bundling the code and writing the files');
  const file = resolve(ctx.cwd, input.output);
  const written = await writeCompose(file, yaml, ejected.rendered, project, ctx.env, async () =>
    target.secretValues(stack, await projectFacts(project)),
  );
  ctx.progress.succeed();
  return {
    project: project.name,
    stack,
    yaml,
    written,
    run: ejected.run(displayPath(ctx.cwd, file), project.name),
  };
}
