import { baseImages } from '../../stacks/model/base-image-args.js';
import type { ResolvedStack } from '../../stacks/model/model.js';
import { EstepsError } from '../errors.js';
import type { Progress } from '../ui/progress.js';
import { applyPlan, type EarlyOperation, startEarly } from './apply.js';
import type { BuildContext } from './build-context.js';
import type { Engine } from './client.js';
import { probeEnvoy } from './envoy-probe.js';
import { containerName, networkName, volumeName } from './names.js';
import { listProjectContainers, observeProject, type ProjectNames } from './observe.js';
import type { ObservedContainer, ObservedState } from './observed-state.js';
import { type Plan, planStack } from './plan.js';
import { envoyImagesToProbe } from './plan-envoy.js';

export interface ConvergePlanInput {
  readonly engine: Engine;
  readonly stack: ResolvedStack;
  /**
   * Assembles the build context of every built service (bundling its code), by service name;
   * runs while the engine is read.
   */
  readonly contexts: () => Promise<Readonly<Record<string, BuildContext>>>;
  /**
   * The project's secrets step (stack-secrets.ts): with `dryRun` it only reads and checks
   * (SECRET_MISMATCH), else it also generates and writes; resolves with each secret's
   * revision, for the config hash. Called read-only here, and for real by `applyConverge`
   * only once the plan passed its checks (ENVOY_MISSING), so a refused `up` changes nothing.
   * @default no secrets
   */
  readonly secrets?: (dryRun: boolean) => Promise<Readonly<Record<string, string>>>;
  /** The stack file (see PlanInput.stackFile). @default not checked, not labelled */
  readonly stackFile?: string;
  readonly progress: Progress;
}

/** A checked plan and what it was made from: what `applyConverge` carries out. */
export interface ConvergePlan {
  /** Planned with the secrets as they are (read only). */
  readonly plan: Plan;
  readonly observed: ObservedState;
  readonly contexts: Readonly<Record<string, BuildContext>>;
  readonly digests: Readonly<Record<string, string>>;
  readonly stackFile?: string;
}

export interface ConvergeApplyInput {
  readonly engine: Engine;
  readonly stack: ResolvedStack;
  readonly planned: ConvergePlan;
  /** As for planning; called for real here. @default no secrets */
  readonly secrets?: (dryRun: boolean) => Promise<Readonly<Record<string, string>>>;
  /** esteps' version, for the version label. */
  readonly version: string;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
}

export interface ConvergeOutcome {
  /** The plan carried out (planned again with the secrets written: the same steps). */
  readonly plan: Plan;
  /** The project's containers after `up`. */
  readonly containers: readonly ObservedContainer[];
}

/**
 * `esteps up` on the engine, its read-only half: assemble build contexts while observing (the
 * one engine read the plan comes from; plus `envoy --version` in an Envoy image an edge is
 * about to be built FROM), then plan (pure). Changes nothing: `--dry-run` stops here.
 */
export async function planConverge(input: ConvergePlanInput): Promise<ConvergePlan> {
  const { stack, engine, progress } = input;
  // Bundling is CPU in esbuild's process, observing is waiting on the engine: overlap them.
  if (stack.services.some((s) => s.build)) {
    progress.start(`bundling, reading project ${stack.project} from the engine`);
  }
  const [contexts, seen] = await Promise.all([
    input.contexts(),
    observeProject(engine.docker, stack.project, imageRefs(stack), projectNames(stack)),
  ]);
  progress.stop();
  const digests = Object.fromEntries(Object.entries(contexts).map(([k, c]) => [k, c.digest]));
  const observed = await probeEnvoyImages(engine, stack, seen, digests, progress);
  const secretRevisions = (await input.secrets?.(true)) ?? {};
  const { stackFile } = input;
  const plan = planStack({ stack, observed, contextDigests: digests, secretRevisions, stackFile });
  return { plan, observed, contexts, digests, ...(stackFile !== undefined && { stackFile }) };
}

/**
 * `esteps up` on the engine, its changing half: apply (no decisions). The secrets are written
 * first, while the image builds and networks (which read no secret) already run; the plan is
 * made again with their revisions. The caller holds the project's lock.
 */
export async function applyConverge(input: ConvergeApplyInput): Promise<ConvergeOutcome> {
  const { stack, engine, planned, progress } = input;
  const apply = {
    docker: engine.docker,
    endpoint: engine.endpoint,
    stack,
    contexts: planned.contexts,
    version: input.version,
    ...(planned.stackFile !== undefined && { stackFile: planned.stackFile }),
    progress,
    ...(input.signal && { signal: input.signal }),
  };
  // Nothing to change: every container already runs with these revisions, and its secret
  // files were written before it was created, so there is nothing to generate or write.
  let plan = planned.plan;
  let early: Map<string, EarlyOperation> | undefined;
  if (input.secrets && plan.changed) {
    // Image builds and networks read no secret: they run while the secrets are written.
    early = startEarly({ ...apply, plan });
    try {
      const secretRevisions = await input.secrets(false);
      plan = planStack({
        stack,
        observed: planned.observed,
        contextDigests: planned.digests,
        secretRevisions,
        stackFile: planned.stackFile,
      });
    } catch (err) {
      await Promise.allSettled([...early.values()].map((e) => e.done));
      throw err;
    }
  }
  await applyPlan({ ...apply, plan, ...(early && { early }) });
  if (!plan.changed) return { plan, containers: planned.observed.containers };
  const containers = await listProjectContainers(engine.docker, stack.project);
  const missing = missingContainers(stack, containers);
  if (missing.length > 0) {
    throw new EstepsError(
      'CONTAINER_EXITED',
      `Project ${stack.project} is not up: ${missing.join(', ')} went away while esteps up ran.`,
      {
        hint: 'Something outside esteps removed or stopped it (docker rm, docker stop); run esteps up again.',
        details: { containers: missing },
      },
    );
  }
  return { plan, containers };
}

/**
 * The stack's containers that are not there or not running once `up` applied its plan: `up`
 * never reports up what is not (a container removed by hand while it waited for another).
 */
export function missingContainers(
  stack: ResolvedStack,
  containers: readonly ObservedContainer[],
): string[] {
  return stack.services.flatMap((s) =>
    Array.from({ length: s.replicas }, (_, i) =>
      containerName(stack.project, s.name, i + 1),
    ).filter((name) => {
      const found = containers.find((c) => c.name === name);
      return !found || (found.state !== 'running' && s.restart !== 'no');
    }),
  );
}

/**
 * The observed state with the Envoy images an edge is about to be built FROM looked into
 * (`envoy --version` in a throw-away container each), so the planner can refuse an edge that
 * cannot run before anything is created.
 */
async function probeEnvoyImages(
  engine: Engine,
  stack: ResolvedStack,
  observed: ObservedState,
  digests: Readonly<Record<string, string>>,
  progress: Progress,
): Promise<ObservedState> {
  const refs = envoyImagesToProbe(stack, observed, digests);
  if (refs.length === 0) return observed;
  progress.start(`looking for Envoy in ${refs.join(', ')}`);
  const found = await Promise.all(
    refs.map(async (ref) => [ref, await probeEnvoy(engine.docker, ref, stack.project)] as const),
  );
  progress.stop();
  return { ...observed, envoy: Object.fromEntries(found) };
}

/** Every image the stack names: run images and the base images of builds. */
function imageRefs(stack: ResolvedStack): string[] {
  return stack.services.flatMap((s) => [s.image, ...Object.values(baseImages(s.build))]);
}

/** The names the stack gives the project's networks, volumes and containers. */
function projectNames(stack: ResolvedStack): ProjectNames {
  return {
    networks: Object.keys(stack.networks).map((n) => networkName(stack.project, n)),
    volumes: stack.volumes.map((v) => volumeName(stack.project, v)),
    containers: stack.services.flatMap((s) =>
      Array.from({ length: s.replicas }, (_, i) => containerName(stack.project, s.name, i + 1)),
    ),
  };
}
