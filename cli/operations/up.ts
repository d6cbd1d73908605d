import { assertStackEdges } from '../../stacks/envoy/check-edges.js';
import { cacheRoot } from '../bundle/build-cache.js';
import type { BuildContext } from '../engine/build-context.js';
import { stackBuildContexts } from '../engine/build-context.js';
import type { PlanStep } from '../engine/plan-step.js';
import { explainError } from '../errors.js';
import type {
  EngineReport,
  PlannedUp,
  ServiceAddress,
  ServiceImage,
  TargetKind,
} from '../targets/target.js';
import type { OperationContext } from './context.js';
import { lockProject, openProject, type ProjectInput, projectFacts } from './project-input.js';
import { checkScale } from './scale.js';

export interface UpInput extends ProjectInput {
  /** Plan, and change nothing. @default false */
  readonly dryRun?: boolean;
  /** Replicas by service, overriding the stack's (`--scale SERVICE=N`). @default the stack's */
  readonly scale?: Readonly<Record<string, number>>;
  /** Called with the plan before anything changes (the CLI prints it). Not on a dry run. */
  readonly onPlan?: (planned: PlannedUp, engine: EngineReport) => void;
}

/** One service's image, where it came from, and where the service answers. */
export interface UpService extends ServiceImage {
  /** Where it answers from this machine (the probe's URL for the probe's port). */
  readonly urls: readonly string[];
  /** Where its published ports answer when not from this machine (a remote engine's loopback). */
  readonly notes: readonly string[];
}

/** What `esteps up` did (or, on a dry run, would do). */
export interface UpOutcome {
  readonly project: string;
  readonly stack: string;
  readonly target: TargetKind;
  readonly engine: EngineReport;
  readonly dryRun: boolean;
  /** False when nothing had to change. */
  readonly changed: boolean;
  readonly plan: readonly PlanStep[];
  /** Facts printed under the plan (a Swarm's modes). */
  readonly notes: readonly string[];
  readonly services: readonly UpService[];
  /** Where each replica of each service answers. */
  readonly addresses: readonly ServiceAddress[];
  readonly durationMs: number;
  /** The target's own facts (a Swarm's modes, pinned nodes, timings). */
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * `esteps up`: converge the project on its target to the stack, and wait until every service
 * is ready. The plan is made read-only first (a refused plan changes nothing; `dryRun` stops
 * there), then applied under the project's lock; an `up` with nothing to change takes none.
 */
const interrupted = {
  message: 'Interrupted before the stack was complete.',
  hint: 'Run `esteps up` again: it picks up from whatever was left.',
};

export async function up(ctx: OperationContext, input: UpInput): Promise<UpOutcome> {
  const started = performance.now();
  let contexts: Promise<Readonly<Record<string, BuildContext>>> | undefined;
  await using opened = await openProject(ctx, input, (loaded) => {
    // Bundling (CPU) starts while the engine answers and the lock is taken; its errors are
    // reported where the plan awaits it. An edge's configuration is checked first.
    contexts = assertStackEdges(loaded.resolved).then(() =>
      stackBuildContexts(loaded.resolved, cacheRoot(ctx.env)),
    );
    contexts.catch(() => undefined);
  });
  const { project, target } = opened;
  const stack = project.resolved;
  const scale = checkScale(stack, input.scale ?? {});
  const dryRun = input.dryRun ?? false;
  const facts = await projectFacts(project);
  const call = { progress: ctx.progress, signal: ctx.signal };
  const plan = () =>
    target.plan({ ...call, stack, project: facts, contexts: () => contexts!, scale, dryRun });
  // Read first, without the lock: an `up` with nothing to change only reads and waits, so it
  // takes no lock, unless another command holds it (then it takes it as any `up` does, and
  // is refused LOCKED). An `up` that changes something takes the lock and plans again under
  // it, so it applies what the engine has once no other command can change it.
  const [first, held] = await Promise.all([plan(), dryRun ? false : target.lockHeld(facts)]).catch(
    (err: unknown) => explainError(err, 'INTERRUPTED', interrupted),
  );
  const readOnly = dryRun || (!first.changed && !held);
  await using _lock = readOnly ? undefined : await lockProject(ctx, target, facts, 'up');
  const run = async () => {
    const planned = readOnly ? first : await plan();
    const engine = await target.engine();
    const outcome = {
      project: stack.project,
      stack: stack.name,
      target: target.kind,
      engine,
      dryRun,
      notes: planned.notes,
    };
    if (dryRun) {
      return {
        ...outcome,
        changed: planned.changed,
        plan: planned.steps,
        services: planned.images.map((i) => ({ ...i, urls: [], notes: [] })),
        addresses: [],
        durationMs: Math.round(performance.now() - started),
        details: {},
      };
    }
    input.onPlan?.(planned, engine);
    const applied = await target.apply(planned, call);
    return {
      ...outcome,
      changed: applied.changed,
      plan: applied.steps,
      services: planned.images.map((i) => ({
        ...i,
        urls: [
          ...new Set(applied.addresses.filter((a) => a.service === i.service).map((a) => a.url)),
        ],
        notes: [
          ...new Set(applied.unreachable.filter((a) => a.service === i.service).map((a) => a.note)),
        ],
      })),
      addresses: applied.addresses,
      durationMs: Math.round(performance.now() - started),
      details: applied.details,
    };
  };
  // Awaited here: the lock is released when this scope ends.
  return await run().catch((err: unknown) => explainError(err, 'INTERRUPTED', interrupted));
}
