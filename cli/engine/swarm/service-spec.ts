/**
 * A resolved stack service as a Swarm ServiceSpec (engine API 1.41): pure, so planning and
 * its tests need no engine. The spec's hash (its label `com.esteps.config-hash`) is what the
 * planner compares: an equal hash leaves the service alone, a different one updates it in
 * place (rolling, with rollback), never remove and recreate.
 */

import type { ResolvedService, ResolvedStack } from '../../../stacks/model/model.js';
import { canonicalJson, sha256 } from '../config-hash.js';
import { labels } from '../labels.js';
import { networkName, volumeName } from '../names.js';

/** How services are reached: what a real cluster uses by default, what this machine needs. */
export interface SwarmModes {
  /** `vip` needs IPVS (not on these machines' kernel); `dnsrr` resolves to every task. */
  readonly endpointMode: 'vip' | 'dnsrr';
  /** `ingress` is the routing mesh (IPVS again); `host` publishes on the node running a task. */
  readonly publishMode: 'ingress' | 'host';
}

/** A secret file of a service, with the Swarm secret that holds the value. */
export interface SwarmSecretMount {
  /** The project secret (`dbPassword`). */
  readonly secret: string;
  /** The Swarm secret's name: `<project>_<secret>_<hash of the value>`. */
  readonly secretName: string;
  /** File name under /run/secrets. */
  readonly target: string;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

export interface ServiceSpecInput {
  readonly stack: ResolvedStack;
  readonly service: ResolvedService;
  /** The image reference the nodes pull (registry, tag and digest). */
  readonly image: string;
  /**
   * What a pushed image was made from (`build:<hash>`, `image:<id>`), kept as a label so the
   * next plan can tell, without building, whether the image would change. @default none
   */
  readonly imageSource?: string;
  /** The code version of the image's hot-patchable bundle, for reports. @default none */
  readonly codeVersion?: string;
  readonly secrets: readonly SwarmSecretMount[];
  /** Tasks wanted (the stack's `replicas`, or `--scale`). */
  readonly replicas: number;
  /** Ready nodes, to lift `maxReplicasPerNode` when more replicas are asked than fit. */
  readonly nodeCount: number;
  /** The node hostname a service with a volume is pinned to. */
  readonly pinnedNode?: string;
  readonly modes: SwarmModes;
  /** esteps' version, for the version label (left out of the hash). */
  readonly version: string;
}

/** The Swarm service name of a stack service. */
export function swarmServiceName(project: string, service: string): string {
  return `${project}_${service}`;
}

const ns = (ms: number) => ms * 1_000_000;

/** The ServiceSpec and its hash (already set as the config-hash label). */
export function swarmServiceSpec(input: ServiceSpecInput): {
  spec: Record<string, unknown>;
  hash: string;
} {
  const { stack, service: s, modes } = input;
  const r = s.rollout;
  const update = {
    Parallelism: r.parallelism,
    Delay: ns(r.delayMs),
    FailureAction: r.failureAction,
    Monitor: ns(r.monitorMs),
    MaxFailureRatio: r.maxFailureRatio,
    Order: r.order[modes.publishMode],
  };
  const perNode = maxPerNode(s, input.replicas, input.nodeCount);
  const constraints = input.pinnedNode ? [`node.hostname==${input.pinnedNode}`] : [];
  const spec = {
    Name: swarmServiceName(stack.project, s.name),
    Labels: {
      [labels.project]: stack.project,
      [labels.stack]: stack.name,
      [labels.service]: s.name,
      ...(input.pinnedNode && { [labels.swarmNode]: input.pinnedNode }),
      ...(input.imageSource && { [labels.imageSource]: input.imageSource }),
      ...(input.codeVersion && { [labels.codeVersion]: input.codeVersion }),
    },
    TaskTemplate: {
      ContainerSpec: {
        Image: input.image,
        ...(s.command && { Args: [...s.command] }),
        Env: Object.entries(s.environment)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k}=${v}`),
        Labels: { ...s.labels, [labels.project]: stack.project, [labels.service]: s.name },
        ...(s.user !== undefined && { User: s.user }),
        ...healthCheck(s),
        // Hardening as on one engine, but for no-new-privileges: engine API 1.41 has no
        // per-service field for it (a node's dockerd --no-new-privileges sets it for all).
        ...(s.readOnlyRootFilesystem && { ReadOnly: true }),
        ...(s.capDrop.length > 0 && { CapabilityDrop: [...s.capDrop] }),
        ...(s.capAdd.length > 0 && { CapabilityAdd: [...s.capAdd] }),
        Mounts: [
          ...s.volumes.map((m) => ({
            Type: 'volume',
            Source: volumeName(stack.project, m.volume),
            Target: m.target,
            ReadOnly: m.readOnly,
            VolumeOptions: { Labels: { [labels.project]: stack.project } },
          })),
          ...s.tmpfs.map((t) => ({
            Type: 'tmpfs',
            Target: t.target,
            TmpfsOptions: {
              ...(t.sizeBytes !== undefined && { SizeBytes: t.sizeBytes }),
              Mode: t.mode,
            },
          })),
        ],
        Secrets: input.secrets.map((m) => ({
          SecretName: m.secretName,
          SecretID: '',
          File: { Name: m.target, UID: String(m.uid), GID: String(m.gid), Mode: m.mode },
        })),
      },
      RestartPolicy: {
        Condition: r.restartCondition,
        Delay: ns(r.restartDelayMs),
        MaxAttempts: 0,
      },
      Resources: {
        Limits: {
          ...(s.limits.memoryBytes !== undefined && { MemoryBytes: s.limits.memoryBytes }),
          ...(s.limits.pids !== undefined && { Pids: s.limits.pids }),
        },
      },
      Placement: {
        Constraints: constraints,
        ...(perNode !== undefined && { MaxReplicas: perNode }),
      },
      Networks: s.networks.map((n) => ({
        Target: networkName(stack.project, n),
        Aliases: [s.name],
      })),
    },
    Mode: { Replicated: { Replicas: input.replicas } },
    UpdateConfig: update,
    RollbackConfig: { ...update, FailureAction: r.rollbackFailureAction },
    EndpointSpec: {
      Mode: modes.endpointMode,
      Ports: s.ports.map((p) => ({
        Protocol: p.protocol,
        TargetPort: p.containerPort,
        PublishedPort: p.hostPort,
        PublishMode: modes.publishMode,
      })),
    },
  };
  const hash = sha256(canonicalJson(spec)).slice(0, 16);
  (spec.Labels as Record<string, string>)[labels.configHash] = hash;
  (spec.Labels as Record<string, string>)[labels.version] = input.version;
  return { spec, hash };
}

/** The bound per node; asked for more replicas than the nodes hold at the bound, what fits. */
function maxPerNode(s: ResolvedService, replicas: number, nodes: number): number | undefined {
  if (s.maxReplicasPerNode === undefined) return undefined;
  return Math.max(s.maxReplicasPerNode, Math.ceil(replicas / Math.max(1, nodes)));
}

/** The service's Docker health check (its own, or its HTTP probe's: resolveStack derived it). */
function healthCheck(s: ResolvedService): Record<string, unknown> {
  const h = s.health;
  if (!h) return {};
  return {
    HealthCheck: {
      Test: [...h.test],
      Interval: ns(h.intervalMs),
      Timeout: ns(h.timeoutMs),
      Retries: h.retries,
      StartPeriod: ns(h.startPeriodMs),
    },
  };
}
