import { baseImages } from '../../stacks/model/base-image-args.js';
import type { ResolvedService, ResolvedStack } from '../../stacks/model/model.js';
import { buildHash, configHash } from './config-hash.js';
import { labels } from './labels.js';
import { containerName, networkName, volumeName } from './names.js';
import type { ObservedContainer, ObservedState } from './observed-state.js';
import {
  nameConflict,
  nameConflicts,
  otherStackFiles,
  stackFileConflict,
} from './plan-conflicts.js';
import { edgesWithoutEnvoy, envoyMissing } from './plan-envoy.js';
import { dataVolumeSecretsLabel } from './secrets/secret-markers.js';

/**
 * The planner: a pure function of the desired stack and the observed engine state that
 * decides every operation `up` performs, each with its cause. The executor (apply.ts) makes
 * no decision of its own.
 */

export type WaitCondition = 'started' | 'healthy' | 'http';

export type Operation =
  | {
      readonly kind: 'create-network';
      readonly name: string;
      readonly network: string;
      readonly cause: string;
    }
  | {
      readonly kind: 'create-volume';
      readonly name: string;
      readonly cause: string;
      /** Extra labels: a data volume's secret revisions (stack-secrets.ts). */
      readonly labels?: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'pull-image'; readonly image: string; readonly cause: string }
  | {
      readonly kind: 'build-image';
      readonly service: string;
      readonly image: string;
      readonly buildHash: string;
      readonly cause: string;
    }
  | {
      readonly kind: 'create-container';
      readonly service: string;
      readonly replica: number;
      readonly name: string;
      readonly configHash: string;
      readonly cause: string;
    }
  | {
      readonly kind: 'recreate-container';
      readonly service: string;
      readonly replica: number;
      readonly name: string;
      readonly containerId: string;
      readonly configHash: string;
      readonly cause: string;
    }
  | {
      readonly kind: 'start-container';
      readonly service: string;
      readonly name: string;
      readonly containerId: string;
      readonly cause: string;
    }
  | {
      readonly kind: 'remove-container';
      readonly name: string;
      readonly containerId: string;
      readonly cause: string;
    }
  | {
      readonly kind: 'wait';
      readonly service: string;
      readonly condition: WaitCondition;
      readonly cause: string;
    }
  | {
      readonly kind: 'unchanged';
      readonly resource: 'network' | 'volume' | 'image' | 'container';
      readonly name: string;
      readonly cause: string;
    };

export interface Plan {
  readonly project: string;
  /** In an order that is safe to run one by one. */
  readonly operations: readonly Operation[];
  /**
   * For each operation (same index), the indices of the operations it must wait for. The
   * executor runs independent operations at once: the image builds while Postgres starts.
   */
  readonly after: readonly (readonly number[])[];
  /** False when every operation is `unchanged` or a wait: `up` then changes nothing. */
  readonly changed: boolean;
}

export interface PlanInput {
  readonly stack: ResolvedStack;
  readonly observed: ObservedState;
  /** Digest of each built service's assembled build context, by service name. */
  readonly contextDigests: Readonly<Record<string, string>>;
  /** Revision (hash, never the value) of each secret by name. @default {} */
  readonly secretRevisions?: Readonly<Record<string, string>>;
  /**
   * The stack file this `up` runs (`com.esteps.stack-file`): the project's containers made
   * from another are refused. @default not checked
   */
  readonly stackFile?: string;
}

/**
 * Every operation `up` performs, each with its cause. Throws, before any operation,
 * ENVOY_MISSING when an edge's Envoy image is known to hold no Envoy (plan-envoy.ts), and
 * NAME_CONFLICT when the project's names are taken by resources it does not own, or its
 * containers were made from another stack file (plan-conflicts.ts).
 */
export function planStack(input: PlanInput): Plan {
  const { stack, observed } = input;
  const withoutEnvoy = edgesWithoutEnvoy(stack, observed);
  if (withoutEnvoy.length > 0) throw envoyMissing(withoutEnvoy);
  const conflicts = nameConflicts(observed);
  if (conflicts.length > 0) throw nameConflict(stack.project, conflicts);
  const others = otherStackFiles(observed, input.stackFile);
  if (others.length > 0) throw stackFileConflict(stack.project, input.stackFile!, others);
  const ops: Operation[] = [
    ...planNetworks(stack, observed),
    ...planVolumes(stack, observed, input.secretRevisions ?? {}),
    ...planPulls(stack, observed),
  ];
  const builds = planBuilds(input);
  ops.push(...builds.values());
  const perService = new Map<string, Operation[]>();
  for (const service of stack.services) {
    const rebuilding = builds.get(service.name)?.kind === 'build-image';
    perService.set(
      service.name,
      planContainers(stack.project, service, observed, rebuilding, input.secretRevisions ?? {}),
    );
  }
  const changed = new Set(
    [...perService]
      .filter(([, list]) => list.some((op) => op.kind !== 'unchanged'))
      .map(([n]) => n),
  );
  for (const service of stack.services) {
    ops.push(...(perService.get(service.name) ?? []));
    ops.push(planWait(service, stack, changed));
  }
  ops.push(...planOrphans(stack, observed));
  return {
    project: stack.project,
    operations: ops,
    after: operationDependencies(ops, stack),
    changed: ops.some((op) => op.kind !== 'unchanged' && op.kind !== 'wait'),
  };
}

/** What each operation needs done first; every dependency precedes it in `ops`. */
export function operationDependencies(ops: readonly Operation[], stack: ResolvedStack): number[][] {
  const indices = (pred: (op: Operation) => boolean) =>
    ops.flatMap((op, i) => (pred(op) ? [i] : []));
  const containerOpOf = (op: Operation) =>
    op.kind === 'create-container' ||
    op.kind === 'recreate-container' ||
    op.kind === 'start-container'
      ? op.service
      : undefined;
  return ops.map((op, i) => {
    const before = (pred: (o: Operation) => boolean) => indices(pred).filter((j) => j < i);
    const service = stack.services.find(
      (s) => s.name === (containerOpOf(op) ?? (op.kind === 'build-image' ? op.service : '')),
    );
    if (op.kind === 'build-image' && service?.build) {
      const bases = Object.values(baseImages(service.build));
      return before((o) => o.kind === 'pull-image' && bases.includes(o.image));
    }
    if (containerOpOf(op) && service) {
      const deps = service.dependsOn.map((d) => d.service);
      return before(
        (o) =>
          o.kind === 'create-network' ||
          o.kind === 'create-volume' ||
          (o.kind === 'pull-image' && o.image === service.image) ||
          (o.kind === 'build-image' && o.service === service.name) ||
          (o.kind === 'wait' && deps.includes(o.service)),
      );
    }
    if (op.kind === 'wait') return before((o) => containerOpOf(o) === op.service);
    return [];
  });
}

function planNetworks(stack: ResolvedStack, observed: ObservedState): Operation[] {
  return Object.keys(stack.networks).map((network) => {
    const name = networkName(stack.project, network);
    return observed.networks.includes(name)
      ? { kind: 'unchanged', resource: 'network', name, cause: 'exists' }
      : { kind: 'create-network', name, network, cause: 'no existing network' };
  });
}

function planVolumes(
  stack: ResolvedStack,
  observed: ObservedState,
  revisions: Readonly<Record<string, string>>,
): Operation[] {
  return stack.volumes.map((volume) => {
    const name = volumeName(stack.project, volume);
    if (observed.volumes.includes(name)) {
      return { kind: 'unchanged', resource: 'volume', name, cause: 'exists' };
    }
    const marker = dataVolumeSecretsLabel(stack, volume, revisions);
    return {
      kind: 'create-volume',
      name,
      cause: 'no existing volume',
      ...(marker && { labels: { [labels.secrets]: marker } }),
    };
  });
}

/** Images the engine lacks: run images of pulled services and base images of builds. */
function planPulls(stack: ResolvedStack, observed: ObservedState): Operation[] {
  const refs = new Set<string>();
  for (const service of stack.services) {
    if (service.build) for (const ref of Object.values(baseImages(service.build))) refs.add(ref);
    else refs.add(service.image);
  }
  return [...refs]
    .filter((ref) => observed.images[ref] === undefined)
    .map((image) => ({ kind: 'pull-image', image, cause: 'not present on the engine' }));
}

/** Build operations by service name; an unchanged image yields an `unchanged` operation. */
function planBuilds(input: PlanInput): Map<string, Operation> {
  const ops = new Map<string, Operation>();
  for (const service of input.stack.services) {
    if (!service.build) continue;
    const hash = buildHash(service, input.contextDigests[service.name] ?? '', input.observed);
    const existing = input.observed.images[service.image];
    if (existing?.buildHash === hash) {
      ops.set(service.name, {
        kind: 'unchanged',
        resource: 'image',
        name: service.image,
        cause: 'build inputs unchanged',
      });
      continue;
    }
    const cause = existing ? 'build inputs changed' : 'no existing image';
    ops.set(service.name, {
      kind: 'build-image',
      service: service.name,
      image: service.image,
      buildHash: hash,
      cause,
    });
  }
  return ops;
}

function planContainers(
  project: string,
  service: ResolvedService,
  observed: ObservedState,
  rebuilding: boolean,
  revisions: Readonly<Record<string, string>>,
): Operation[] {
  const hash = configHash(service, revisions);
  const image = observed.images[service.image];
  const ops: Operation[] = [];
  for (let replica = 1; replica <= service.replicas; replica++) {
    const name = containerName(project, service.name, replica);
    const found = observed.containers.find(
      (c) => c.service === service.name && c.replica === replica,
    );
    if (!found) {
      ops.push({
        kind: 'create-container',
        service: service.name,
        replica,
        name,
        configHash: hash,
        cause: 'no existing container',
      });
      continue;
    }
    const recreateCause = recreateReason(found, hash, image?.id, rebuilding);
    if (recreateCause) {
      ops.push({
        kind: 'recreate-container',
        service: service.name,
        replica,
        name,
        containerId: found.id,
        configHash: hash,
        cause: recreateCause,
      });
    } else if (found.state !== 'running' && found.state !== 'restarting') {
      ops.push({
        kind: 'start-container',
        service: service.name,
        name,
        containerId: found.id,
        cause: `container ${found.state}`,
      });
    } else {
      ops.push({ kind: 'unchanged', resource: 'container', name, cause: 'up to date' });
    }
  }
  return ops;
}

function recreateReason(
  found: ObservedContainer,
  hash: string,
  imageId: string | undefined,
  rebuilding: boolean,
): string | undefined {
  if (found.configHash !== hash) return 'config hash changed';
  if (rebuilding) return 'image will be rebuilt';
  if (imageId === undefined) return 'image will be pulled';
  if (found.imageId !== imageId) return 'image changed';
  return undefined;
}

/**
 * Every service gets a wait, so `up` ends with a ready stack even when nothing changed (a
 * service left unready by an earlier run is not "nothing to do"); its cause says why: it
 * changed, a later service that changed depends on it, or it is checked still ready (one
 * probe when it is). The condition is the strongest the service offers: its HTTP probe,
 * else its health check, else running.
 */
function planWait(
  service: ResolvedService,
  stack: ResolvedStack,
  changed: ReadonlySet<string>,
): Operation {
  const dependents = stack.services.filter(
    (s) => changed.has(s.name) && s.dependsOn.some((d) => d.service === service.name),
  );
  const condition: WaitCondition = service.httpProbe
    ? 'http'
    : service.healthcheck
      ? 'healthy'
      : 'started';
  const cause =
    dependents.length > 0
      ? `${dependents.map((d) => d.name).join(', ')} depends on it`
      : changed.has(service.name)
        ? 'ready check'
        : 'still ready?';
  return { kind: 'wait', service: service.name, condition, cause };
}

/** Containers of the project that the stack no longer wants: gone services, extra replicas. */
function planOrphans(stack: ResolvedStack, observed: ObservedState): Operation[] {
  return observed.containers
    .filter((c) => {
      const service = stack.services.find((s) => s.name === c.service);
      return !service || c.replica > service.replicas || c.replica < 1;
    })
    .map((c) => ({
      kind: 'remove-container',
      name: c.name,
      containerId: c.id,
      cause:
        c.replica < 1
          ? // No replica: a build's step container or a volume helper, left by a command that
            // was killed or interrupted.
            'left by an interrupted esteps command (build step or helper)'
          : stack.services.some((s) => s.name === c.service)
            ? `replica ${c.replica} beyond the ${c.service} replica count`
            : `service ${c.service} is not in stack ${stack.name}`,
    }));
}
