/**
 * `esteps up --swarm` below the command: build and push the images (this machine's engine),
 * observe the Swarm (the manager, DOCKER_HOST), plan (pure), apply (rolling updates in place,
 * waiting for each service to converge). With `dryRun` it stops after printing the plan. The
 * caller has checked that the manager is one (assertSwarmManager).
 */
import type Docker from 'dockerode';
import type { ResolvedStack } from '../../../stacks/model/model.js';
import type { Progress } from '../../ui/progress.js';
import type { BuildContext } from '../build-context.js';
import { applySwarmPlan } from './apply-swarm.js';
import { observeSwarm } from './observe-swarm.js';
import { planSwarm, type SwarmPlan } from './plan-swarm.js';
import { buildAndPushImages } from './push-images.js';
import type { SwarmSettings } from './swarm-settings.js';

export interface DeploySwarmInput {
  /** The Swarm manager. */
  readonly manager: Docker;
  /** The engine that builds and pushes. */
  readonly builder: Docker;
  readonly stack: ResolvedStack;
  readonly settings: SwarmSettings;
  /** Read while the images are built and pushed (the two wait on different engines). */
  readonly secretValues: Promise<Readonly<Record<string, string>>>;
  readonly scale: Readonly<Record<string, number>>;
  readonly contexts: () => Promise<Readonly<Record<string, BuildContext>>>;
  /** Build and push only these (hotpatch); the others keep the image they run. */
  readonly only?: readonly string[];
  readonly version: string;
  readonly dryRun: boolean;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
  readonly onPlan?: (plan: SwarmPlan) => void;
}

export interface DeploySwarmOutcome {
  readonly plan: SwarmPlan;
  readonly images: Readonly<Record<string, string>>;
  readonly timings: { readonly pushMs: number; readonly applyMs: number };
}

export async function deploySwarm(input: DeploySwarmInput): Promise<DeploySwarmOutcome> {
  const { manager, stack, progress } = input;
  const started = Date.now();
  const pushed = await buildAndPushImages({
    docker: input.builder,
    stack,
    ...(input.only && { only: input.only }),
    contexts: input.contexts,
    registry: input.settings.registry,
    pushRegistry: input.settings.pushRegistry,
    version: input.version,
    progress,
    ...(input.signal && { signal: input.signal }),
  });
  const pushMs = Date.now() - started;
  progress.start(`reading project ${stack.project} from the Swarm`);
  const [observed, secretValues] = await Promise.all([
    observeSwarm(manager, stack.project),
    input.secretValues,
  ]);
  progress.stop();
  // Services not rebuilt (hotpatch of another) keep the image they run.
  const running = Object.fromEntries(
    observed.services.map((o) => [o.service, currentImage(o.spec)] as const).filter(([, i]) => i),
  ) as Record<string, string>;
  const images = input.only ? { ...running, ...pushed } : pushed;
  const plan = planSwarm({
    stack,
    observed,
    images,
    secretValues,
    scale: input.scale,
    modes: input.settings.modes,
    version: input.version,
  });
  input.onPlan?.(plan);
  const applyStarted = Date.now();
  if (!input.dryRun && plan.changed) {
    await applySwarmPlan({
      docker: manager,
      stack,
      plan,
      secretIds: observed.secrets,
      secretValues,
      progress,
      ...(input.signal && { signal: input.signal }),
    });
  }
  return { plan, images, timings: { pushMs, applyMs: Date.now() - applyStarted } };
}

function currentImage(spec: Record<string, unknown>): string | undefined {
  return (spec as { TaskTemplate?: { ContainerSpec?: { Image?: string } } }).TaskTemplate
    ?.ContainerSpec?.Image;
}
