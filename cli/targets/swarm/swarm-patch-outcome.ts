/**
 * What `hotpatch --swarm` reports once the rolling update converged: per service, the version
 * it rolled to (the code version of its hot-patchable bundle, which the image carries, else
 * the image digest's first 12 hex digits) and every task that runs it, on its node.
 */
import type { PlanStep } from '../../engine/plan-step.js';
import { runningImage } from '../../engine/swarm/swarm-images.js';
import type { SwarmTask } from '../../engine/swarm/swarm-tasks.js';
import type { PatchedReplicaOnNode, PatchOutcome } from '../target.js';
import type { SwarmPlanState } from './swarm-plan.js';

export interface PatchOutcomeInput {
  readonly state: SwarmPlanState;
  /** The patched services. */
  readonly names: readonly string[];
  /** The image each service runs now, by service. */
  readonly images: Readonly<Record<string, string>>;
  /** The project's tasks after the update. */
  readonly tasks: readonly SwarmTask[];
  readonly steps: readonly PlanStep[];
  readonly phases: Readonly<Record<string, number>>;
}

export function patchOutcome(input: PatchOutcomeInput): PatchOutcome {
  const { state } = input;
  return {
    services: input.names.map((service) => {
      const image = input.images[service] ?? '';
      const facts = state.images.facts[service];
      const version = (facts?.kind === 'built' && facts.codeVersion) || digestVersion(image);
      const running = state.observed.services.find((o) => o.service === service);
      const rolled = state.plan.operations.some(
        (op) =>
          (op.kind === 'update-service' || op.kind === 'create-service') && op.service === service,
      );
      const previous = running?.codeVersion ?? digestVersion(runningImage(running) ?? '');
      const replicas = input.tasks
        .filter(
          (t) => t.service === service && t.state === 'running' && t.desiredState === 'running',
        )
        .map(
          (t): PatchedReplicaOnNode => ({
            container: `${state.stack.project}_${service}.${t.slot ?? ''}.${t.id}`,
            node: t.node,
            previousVersion: rolled ? previous : version,
            version: t.image === image ? version : previous,
            durationMs: t.runningSince
              ? Math.max(0, Date.parse(t.runningSince) - Date.parse(t.createdAt))
              : 0,
            unchanged: !rolled,
          }),
        );
      return { service, version, replicas };
    }),
    phases: input.phases,
    steps: input.steps,
  };
}

/** `...@sha256:0123456789abcdef...` -> `0123456789ab`. */
function digestVersion(image: string): string {
  return image.split('@sha256:')[1]?.slice(0, 12) ?? '';
}
