/**
 * `up --swarm`'s reconciler: desired services (as Swarm specs) against the observed Swarm,
 * into operations with their causes. Pure: no engine call; apply decides nothing.
 */
import type { ResolvedStack } from '../../../stacks/model/model.js';
import { networkName } from '../names.js';
import { formatPlanSteps, type PlanStep } from '../plan-step.js';
import type { ObservedSwarm } from './observe-swarm.js';
import { type SwarmModes, swarmServiceName, swarmServiceSpec } from './service-spec.js';
import { serviceSecretMounts } from './swarm-secrets.js';

export type SwarmOperation =
  | { readonly kind: 'create-network'; readonly name: string; readonly cause: string }
  | {
      readonly kind: 'create-secret';
      readonly name: string;
      readonly secret: string;
      readonly cause: string;
    }
  | {
      readonly kind: 'create-service';
      readonly service: string;
      readonly spec: Record<string, unknown>;
      readonly cause: string;
    }
  | {
      readonly kind: 'update-service';
      readonly service: string;
      readonly id: string;
      readonly versionIndex: number;
      readonly spec: Record<string, unknown>;
      readonly cause: string;
    }
  | { readonly kind: 'remove-secret'; readonly name: string; readonly cause: string };

export interface SwarmPlan {
  readonly operations: readonly SwarmOperation[];
  /** Stack services left as they are. */
  readonly unchanged: readonly string[];
  readonly changed: boolean;
  /** Where each service with a volume runs (node hostname). */
  readonly pinned: Readonly<Record<string, string>>;
}

export interface PlanSwarmInput {
  readonly stack: ResolvedStack;
  readonly observed: ObservedSwarm;
  /** The image reference each service's tasks run (pushed ones carry their digest). */
  readonly images: Readonly<Record<string, string>>;
  /** Project secret values (never printed; only their hash names a Swarm secret). */
  readonly secretValues: Readonly<Record<string, string>>;
  /** `--scale SERVICE=N`. */
  readonly scale: Readonly<Record<string, number>>;
  readonly modes: SwarmModes;
  readonly version: string;
}

export function planSwarm(input: PlanSwarmInput): SwarmPlan {
  const { stack, observed } = input;
  const ops: SwarmOperation[] = [];
  const unchanged: string[] = [];
  const pinned: Record<string, string> = {};
  for (const n of Object.keys(stack.networks)) {
    const name = networkName(stack.project, n);
    if (!observed.networks[name]) ops.push({ kind: 'create-network', name, cause: 'no network' });
  }
  const wantedSecrets = new Set<string>();
  const ready = observed.nodes.filter((n) => n.ready);
  for (const s of stack.services) {
    const mounts = serviceSecretMounts(stack, s, input.secretValues);
    for (const m of mounts) {
      if (wantedSecrets.has(m.secretName)) continue;
      wantedSecrets.add(m.secretName);
      if (!observed.secrets[m.secretName]) {
        ops.push({
          kind: 'create-secret',
          name: m.secretName,
          secret: m.secret,
          cause: 'no Swarm secret holds this value',
        });
      }
    }
    const existing = observed.services.find(
      (o) => o.name === swarmServiceName(stack.project, s.name),
    );
    const pinnedNode =
      s.volumes.length > 0
        ? (existing?.pinnedNode ?? (ready.find((n) => n.role === 'manager') ?? ready[0])?.hostname)
        : undefined;
    if (pinnedNode) pinned[s.name] = pinnedNode;
    const { spec, hash } = swarmServiceSpec({
      stack,
      service: s,
      image: input.images[s.name] ?? s.image,
      secrets: mounts,
      replicas: input.scale[s.name] ?? s.replicas,
      nodeCount: Math.max(1, ready.length),
      ...(pinnedNode && { pinnedNode }),
      modes: input.modes,
      version: input.version,
    });
    if (!existing) {
      ops.push({ kind: 'create-service', service: s.name, spec, cause: 'no service' });
    } else if (existing.configHash !== hash) {
      ops.push({
        kind: 'update-service',
        service: s.name,
        id: existing.id,
        versionIndex: existing.versionIndex,
        spec,
        cause: existing.configHash ? 'configuration changed' : 'not made by esteps',
      });
    } else {
      unchanged.push(s.name);
    }
  }
  const changed = ops.length > 0;
  // Old secret values go once nothing is left to roll back to them.
  for (const name of Object.keys(observed.secrets).sort()) {
    if (changed && !wantedSecrets.has(name)) {
      ops.push({ kind: 'remove-secret', name, cause: 'no service uses it any more' });
    }
  }
  return { operations: ops, unchanged, changed, pinned };
}

/** The plan's steps (action, target, cause), as every target gives them; the services left alone last. */
export function swarmPlanSteps(plan: SwarmPlan): PlanStep[] {
  const steps = plan.operations.map((op): PlanStep => {
    switch (op.kind) {
      case 'create-network':
        return {
          kind: op.kind,
          action: 'create',
          target: `network ${op.name} (overlay)`,
          cause: op.cause,
        };
      case 'create-secret':
        return {
          kind: op.kind,
          action: 'create',
          target: `secret ${op.name} (${op.secret})`,
          cause: op.cause,
        };
      case 'create-service':
        return {
          kind: op.kind,
          action: 'create',
          target: `service ${op.service}${describeSpec(op.spec)}`,
          cause: op.cause,
        };
      case 'update-service':
        return {
          kind: op.kind,
          action: 'update',
          target: `service ${op.service}${describeSpec(op.spec)} (rolling)`,
          cause: op.cause,
        };
      default:
        return { kind: op.kind, action: 'remove', target: `secret ${op.name}`, cause: op.cause };
    }
  });
  const kept = plan.unchanged.map(
    (service): PlanStep => ({
      kind: 'unchanged',
      action: 'unchanged',
      target: `service ${service}`,
      cause: 'same spec',
    }),
  );
  return [...steps, ...kept];
}

/** The plan as `up` prints it (the one plan format of every target). */
export function formatSwarmPlan(project: string, plan: SwarmPlan): string {
  return formatPlanSteps(project, swarmPlanSteps(plan), plan.changed);
}

function describeSpec(spec: Record<string, unknown>): string {
  const s = spec as {
    Mode: { Replicated: { Replicas: number } };
    TaskTemplate: { Placement: { Constraints: string[] } };
  };
  const pin = s.TaskTemplate.Placement.Constraints[0];
  return ` x${s.Mode.Replicated.Replicas}${pin ? ` on ${pin.replace('node.hostname==', '')}` : ''}`;
}
