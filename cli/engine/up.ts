import { join } from 'node:path';
import type { GeneratedArtefact, ResolvedStack } from '../../stacks/model.js';
import type { Progress } from '../ui/progress.js';
import { applyPlan } from './apply.js';
import { assembleBuildContext, type BuildContext } from './build-context.js';
import type { Engine } from './client.js';
import { acquireProjectLock } from './lock.js';
import { listProjectContainers, observeProject } from './observe.js';
import type { ObservedContainer, ObservedState } from './observed-state.js';
import { type Plan, planStack } from './plan.js';

export interface UpInput {
  readonly engine: Engine;
  readonly stack: ResolvedStack;
  /** Working directory: holds `.esteps/<project>/up.lock`. */
  readonly cwd: string;
  /** Directory holding the build templates (`<package>/templates`). */
  readonly templatesDir: string;
  /** Produces the generated build files (the bundled service and supervisor). */
  readonly artefacts: () => Promise<Readonly<Record<GeneratedArtefact, Buffer>>>;
  /** esteps' version, for the version label. */
  readonly version: string;
  /** Print the plan and change nothing. @default false */
  readonly dryRun?: boolean;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
  /** Called with the plan and the images it saw before anything changes (to print them). */
  readonly onPlan?: (plan: Plan, images: ObservedState['images']) => void;
}

export interface UpOutcome {
  readonly plan: Plan;
  /** The project's containers after `up` (as observed before, with --dry-run). */
  readonly containers: readonly ObservedContainer[];
  /** The images the stack names, as observed before applying (stand-ins are labelled). */
  readonly images: ObservedState['images'];
}

/**
 * `esteps up` on the engine: lock the project, assemble build contexts, observe (the one
 * engine read the plan comes from), plan (pure), apply (no decisions). With `dryRun` it stops
 * after planning and takes no lock.
 */
export async function upStack(input: UpInput): Promise<UpOutcome> {
  const { stack, engine, progress } = input;
  const lock = input.dryRun ? undefined : await acquireProjectLock(input.cwd, stack.project, 'up');
  try {
    // Bundling is CPU in esbuild's process, observing is waiting on the engine: overlap them.
    const [contexts, observed] = await Promise.all([
      assembleContexts(input),
      observeProject(engine.docker, stack.project, imageRefs(stack)),
    ]);
    progress.stop();
    const digests = Object.fromEntries(Object.entries(contexts).map(([k, c]) => [k, c.digest]));
    const plan = planStack({ stack, observed, contextDigests: digests });
    input.onPlan?.(plan, observed.images);
    const { images } = observed;
    if (input.dryRun || !plan.changed) return { plan, containers: observed.containers, images };
    await applyPlan({
      docker: engine.docker,
      stack,
      plan,
      contexts,
      version: input.version,
      progress,
      ...(input.signal && { signal: input.signal }),
    });
    return {
      plan,
      containers: await listProjectContainers(engine.docker, stack.project),
      images,
    };
  } finally {
    await lock?.release();
  }
}

/** Every image the stack names: run images and the base images of builds. */
function imageRefs(stack: ResolvedStack): string[] {
  return stack.services.flatMap((s) => [s.image, ...Object.values(s.build?.args ?? {})]);
}

async function assembleContexts(input: UpInput): Promise<Record<string, BuildContext>> {
  const built = input.stack.services.filter((s) => s.build);
  if (built.length === 0) return {};
  input.progress.start(
    `bundling the service, reading project ${input.stack.project} from the engine`,
  );
  const artefacts = await input.artefacts();
  const contexts: Record<string, BuildContext> = {};
  for (const s of built) {
    const build = s.build!;
    const generated = Object.fromEntries(
      Object.entries(build.generated).map(([path, kind]) => [path, artefacts[kind]]),
    );
    contexts[s.name] = await assembleBuildContext(
      join(input.templatesDir, build.template),
      generated,
    );
  }
  return contexts;
}
