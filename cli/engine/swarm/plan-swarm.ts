/**
 * `up --swarm`'s reconciler: desired services (as Swarm specs) against the observed Swarm,
 * into operations with their causes: the images to build and push first, then networks,
 * secrets and services. Pure: no engine call; apply decides nothing (it only fills in the
 * digests the pushes give).
 */
import type { ResolvedStack } from '../../../stacks/model/model.js';
import { networkName } from '../names.js';
import { formatPlanSteps, type PlanStep } from '../plan-step.js';
import type { ObservedSwarm } from './observe-swarm.js';
import {
  type ServiceSpecInput,
  type SwarmModes,
  swarmServiceName,
  swarmServiceSpec,
} from './service-spec.js';
import type { ImageChoice } from './swarm-images.js';
import { serviceSecretMounts } from './swarm-secrets.js';

/** A service's image in a service operation: known now, or the digest a push will give. */
export type PlannedImage = { readonly ref: string } | { readonly pushedFor: string };

interface ServiceOperation {
  readonly service: string;
  /** The spec's inputs; `image` is a placeholder while `image` below is pushed for. */
  readonly input: ServiceSpecInput;
  readonly image: PlannedImage;
  readonly cause: string;
}

export type SwarmOperation =
  | {
      readonly kind: 'build-image';
      readonly service: string;
      readonly image: string;
      readonly hash: string;
      readonly cause: string;
    }
  | {
      readonly kind: 'push-image';
      readonly service: string;
      readonly image: string;
      readonly pushRef: string;
      readonly ref: string;
      readonly cause: string;
    }
  | {
      readonly kind: 'pull-image';
      readonly service: string;
      /** The pushed image's name without its digest (the push gives it). */
      readonly ref: string;
      /** Node constraints of the service: the nodes that will run it. */
      readonly constraints: readonly string[];
      readonly cause: string;
    }
  | { readonly kind: 'create-network'; readonly name: string; readonly cause: string }
  | {
      readonly kind: 'create-secret';
      readonly name: string;
      readonly secret: string;
      readonly cause: string;
    }
  | ({ readonly kind: 'create-service' } & ServiceOperation)
  | ({
      readonly kind: 'update-service';
      readonly id: string;
      readonly versionIndex: number;
    } & ServiceOperation)
  | { readonly kind: 'remove-secret'; readonly name: string; readonly cause: string }
  | { readonly kind: 'remove-pull-job'; readonly id: string; readonly cause: string };

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
  /** How each service gets its image (swarm-images.ts); @default the stack's reference */
  readonly images: Readonly<Record<string, ImageChoice>>;
  /** Each project secret's revision (never a value): it names the Swarm secret. */
  readonly revisions: Readonly<Record<string, string>>;
  /** `--scale SERVICE=N`. */
  readonly scale: Readonly<Record<string, number>>;
  readonly modes: SwarmModes;
  readonly version: string;
}

export function planSwarm(input: PlanSwarmInput): SwarmPlan {
  const { stack, observed } = input;
  const ops: SwarmOperation[] = [...imageOperations(input)];
  const unchanged: string[] = [];
  const pinned: Record<string, string> = {};
  for (const n of Object.keys(stack.networks)) {
    const name = networkName(stack.project, n);
    if (!observed.networks[name]) ops.push({ kind: 'create-network', name, cause: 'no network' });
  }
  const wantedSecrets = new Set<string>();
  const ready = observed.nodes.filter((n) => n.ready);
  for (const s of stack.services) {
    const mounts = serviceSecretMounts(stack, s, input.revisions);
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
    const choice = input.images[s.name] ?? { kind: 'as-is', ref: s.image };
    const specInput: ServiceSpecInput = {
      stack,
      service: s,
      image: choice.kind === 'push' ? '' : choice.ref,
      ...(choice.kind !== 'as-is' && choice.source && { imageSource: choice.source }),
      ...(choice.kind !== 'as-is' && choice.codeVersion && { codeVersion: choice.codeVersion }),
      secrets: mounts,
      replicas: input.scale[s.name] ?? s.replicas,
      nodeCount: Math.max(1, ready.length),
      ...(pinnedNode && { pinnedNode }),
      modes: input.modes,
      version: input.version,
    };
    const image: PlannedImage =
      choice.kind === 'push' ? { pushedFor: s.name } : { ref: choice.ref };
    const op = { service: s.name, input: specInput, image };
    if (!existing) {
      ops.push({ kind: 'create-service', ...op, cause: 'no service' });
    } else if (choice.kind === 'push') {
      ops.push({ ...updateOf(existing), ...op, cause: `new image: ${choice.cause}` });
    } else if (existing.configHash !== swarmServiceSpec(specInput).hash) {
      const cause = existing.configHash ? 'configuration changed' : 'not made by esteps';
      ops.push({ ...updateOf(existing), ...op, cause });
    } else {
      unchanged.push(s.name);
    }
  }
  ops.splice(imageOps(ops), 0, ...pullOperations(input, ops));
  for (const id of observed.pullJobs ?? []) {
    ops.push({ kind: 'remove-pull-job', id, cause: 'left by an interrupted esteps' });
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

function updateOf(existing: ObservedSwarm['services'][number]) {
  return {
    kind: 'update-service' as const,
    id: existing.id,
    versionIndex: existing.versionIndex,
  };
}

/** Where the image operations end in `ops`. */
function imageOps(ops: readonly SwarmOperation[]): number {
  const i = ops.findIndex((o) => o.kind !== 'build-image' && o.kind !== 'push-image');
  return i === -1 ? ops.length : i;
}

/**
 * A new image the Swarm would otherwise pull node by node, as the rolling update reaches
 * each (a task stopped first waits for the pull), or only once the service's dependencies
 * run: pulled onto the service's nodes at once, by a one-shot job, as soon as it is pushed.
 */
function pullOperations(input: PlanSwarmInput, ops: readonly SwarmOperation[]): SwarmOperation[] {
  return ops.flatMap((op): SwarmOperation[] => {
    if (op.kind !== 'create-service' && op.kind !== 'update-service') return [];
    if (!('pushedFor' in op.image)) return [];
    const s = op.input.service;
    const parallelism = s.rollout.parallelism;
    const rolling =
      op.kind === 'update-service' && (parallelism === 0 ? false : op.input.replicas > parallelism);
    const waits = op.kind === 'create-service' && s.dependsOn.length > 0;
    if (!rolling && !waits) return [];
    const choice = input.images[s.name];
    if (choice?.kind !== 'push') return [];
    return [
      {
        kind: 'pull-image',
        service: s.name,
        ref: choice.ref,
        constraints: op.input.pinnedNode ? [`node.hostname==${op.input.pinnedNode}`] : [],
        cause: rolling
          ? `the update replaces ${parallelism} task at a time`
          : `while ${s.dependsOn.map((d) => d.service).join(' and ')} ${s.dependsOn.length > 1 ? 'start' : 'starts'}`,
      },
    ];
  });
}

/** The builds and pushes the images need, each service's build before its push. */
function imageOperations(input: PlanSwarmInput): SwarmOperation[] {
  return input.stack.services.flatMap((s): SwarmOperation[] => {
    const choice = input.images[s.name];
    if (choice?.kind !== 'push') return [];
    const push: SwarmOperation = {
      kind: 'push-image',
      service: s.name,
      image: choice.image,
      pushRef: choice.pushRef,
      ref: choice.ref,
      cause: choice.cause,
    };
    if (!choice.build) return [push];
    const cause =
      choice.cause === 'no service runs it yet'
        ? 'no image built from these inputs'
        : `no image built from these inputs (${choice.cause})`;
    return [
      { kind: 'build-image', service: s.name, image: s.image, hash: choice.build.hash, cause },
      push,
    ];
  });
}

/** The plan's steps (action, target, cause), as every target gives them; the services left alone last. */
export function swarmPlanSteps(plan: SwarmPlan): PlanStep[] {
  const steps = plan.operations.map((op): PlanStep => {
    switch (op.kind) {
      case 'build-image':
        return { kind: op.kind, action: 'build', target: `image ${op.image}`, cause: op.cause };
      case 'push-image':
        return { kind: op.kind, action: 'push', target: `image ${op.pushRef}`, cause: op.cause };
      case 'pull-image':
        return {
          kind: op.kind,
          action: 'pull',
          target: `image of ${op.service} onto its nodes (a one-shot job)`,
          cause: op.cause,
        };
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
          target: `service ${op.service}${describeSpec(op.input)}`,
          cause: op.cause,
        };
      case 'update-service':
        return {
          kind: op.kind,
          action: 'update',
          target: `service ${op.service}${describeSpec(op.input)} (rolling)`,
          cause: op.cause,
        };
      case 'remove-pull-job':
        return { kind: op.kind, action: 'remove', target: `pull job ${op.id}`, cause: op.cause };
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

function describeSpec(input: ServiceSpecInput): string {
  return ` x${input.replicas}${input.pinnedNode ? ` on ${input.pinnedNode}` : ''}`;
}
