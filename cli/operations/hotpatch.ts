import { resolve } from 'node:path';
import { type IncrementalBundler, prewarmBundler } from '../bundle/bundle-code.js';
import { earlyBundler } from '../bundle/early-bundles.js';
import type { PatchedReplica } from '../engine/patch-replica.js';
import type { PatchesAhead } from '../engine/patches-ahead.js';
import type { PlanStep } from '../engine/plan-step.js';
import { EstepsError, explainError } from '../errors.js';
import { hotpatchableServices, sourceRebase } from '../project/hotpatch-project.js';
import type { PatchedService } from '../targets/target.js';
import type { OperationContext } from './context.js';
import {
  lockProject,
  type OpenedProject,
  openProject,
  type ProjectInput,
  projectFacts,
} from './project-input.js';

export interface HotpatchInput extends ProjectInput {
  /** Only these services (each hot-patchable). @default every hot-patchable service */
  readonly services?: readonly string[];
  /**
   * A copy of the project's sources to take the code from (relative to the working
   * directory): each source path at the same place under it. @default the stack's own
   */
  readonly source?: string;
}

/** What `esteps hotpatch --json` prints (a stable shape: fields are only ever added). */
export interface HotpatchOutcome {
  readonly project: string;
  /** The first (in step 1: the only) patched service, its version and replicas. */
  readonly service: string;
  readonly version: string;
  /** From the patch starting (project loaded) to the last replica serving the new code. */
  readonly durationMs: number;
  readonly phases: Readonly<Record<string, number>>;
  readonly replicas: readonly PatchedReplica[];
  /** Every patched service. */
  readonly services: readonly PatchedService[];
  /** A Swarm's rolling update, step by step (empty on one engine). */
  readonly steps: readonly PlanStep[];
}

/**
 * `esteps hotpatch [SERVICE...]`: the current code of the stack's hot-patchable services
 * into every running replica (one engine: in place, the supervisor swapping it without a
 * dropped request; a Swarm: a new image and a rolling update); returns once every replica
 * serves the new version. HOTPATCH_FAILED (the old code still serves) when it does not build
 * or does not start.
 */
export async function hotpatch(
  ctx: OperationContext,
  input: HotpatchInput,
): Promise<HotpatchOutcome> {
  const reading = openProject(ctx, input);
  // The code is about to be bundled, and changed since the last time (or why patch?). Loading
  // esbuild blocks for 20 ms or so: after the reads above are on their way, not before.
  prewarmBundler();
  await using opened = await reading;
  // Bundles the CLI's entry started from the last run's record are taken here; this run's
  // are recorded for the next (cli/bundle/early-bundles.ts).
  const bundler = earlyBundler();
  const outcome = await patchProject(ctx, opened, { ...input, ...(bundler && { bundler }) });
  bundler?.record();
  return outcome;
}

/** What `esteps watch` keeps from one patch to the next. */
export interface KeptBetweenPatches {
  /** One esbuild context per bundle: a save rebuilds only what changed. */
  readonly bundler?: IncrementalBundler;
  /** The next patch's processes, started in the containers once a patch is done. */
  readonly ahead?: PatchesAhead;
}

/** One hot patch of an opened project, under its lock (`hotpatch` once, `watch` per save). */
export async function patchProject(
  ctx: OperationContext,
  opened: OpenedProject,
  input: HotpatchInput & KeptBetweenPatches,
): Promise<HotpatchOutcome> {
  const started = performance.now();
  const { project, target } = opened;
  const services = hotpatchableServices(project, input.services);
  const rebase = sourceRebase(project, absoluteSource(ctx.cwd, input.source));
  // The lock is needed before anything changes, not before reading: the target finds the
  // replicas and starts the reload clients while the engine creates it (`locked`).
  const locking = lockProject(ctx, target, await projectFacts(project), 'hotpatch');
  const patching = target.hotpatch({
    stack: project.resolved,
    services,
    rebase,
    locked: locking,
    progress: ctx.progress,
    signal: ctx.signal,
    ...(input.bundler && { bundler: input.bundler }),
    ...(input.ahead && { ahead: input.ahead }),
  });
  const [lock] = await Promise.allSettled([locking, patching]);
  await using _lock = lock.status === 'fulfilled' ? lock.value : undefined;
  // Not locked (LOCKED): the target changed nothing, and that is the error to report.
  if (lock.status === 'rejected') throw lock.reason;
  const outcome = await patching.catch((err: unknown) => {
    // New code that does not build is a patch that failed: nothing changed, the old serves.
    if (err instanceof EstepsError && err.code === 'BUILD_FAILED') {
      throw new EstepsError(
        'HOTPATCH_FAILED',
        `${err.message.replace(/\.$/, '')}; the old code still serves.`,
        {
          ...(err.hint && { hint: err.hint }),
          cause: err,
          ...(err.details && { details: err.details }),
        },
      );
    }
    return explainError(err, 'INTERRUPTED', {
      message: 'Interrupted while patching.',
      hint: 'A replica the patch reached runs the new code, the others the old (esteps ps, then esteps hotpatch again to finish).',
    });
  });
  const first = outcome.services[0]!;
  return {
    project: project.name,
    service: first.service,
    version: first.version,
    durationMs: Math.round(performance.now() - started),
    phases: outcome.phases,
    replicas: first.replicas,
    services: outcome.services,
    steps: outcome.steps,
  };
}

/** `--source DIR` made absolute; an empty value is kept, to be refused by name. */
export function absoluteSource(cwd: string, source: string | undefined): string | undefined {
  return source === undefined || source === '' ? source : resolve(cwd, source);
}
