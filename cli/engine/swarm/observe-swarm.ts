/**
 * The one read of the Swarm that `up --swarm` plans from: is the engine a manager, its
 * nodes, and the project's services, networks and secrets (by label), and the volume that
 * holds the project's secret values on the manager's engine.
 */
import Docker from 'dockerode';
import { EstepsError } from '../../errors.js';
import { dockerOptions } from '../client.js';
import { engineMessage, statusCode } from '../engine-errors.js';
import { labels, projectFilter } from '../labels.js';
import { secretsVolumeName } from '../secrets/project-secrets.js';

export interface ObservedSwarmService {
  readonly id: string;
  readonly name: string;
  /** The stack service (label). */
  readonly service: string;
  readonly versionIndex: number;
  readonly configHash: string | undefined;
  readonly pinnedNode: string | undefined;
  /** What the image it runs was made from (label `com.esteps.image-source`). */
  readonly imageSource: string | undefined;
  /** The code version of its hot-patchable bundle (label `com.esteps.code-version`). */
  readonly codeVersion: string | undefined;
  readonly spec: Record<string, unknown>;
}

export interface ObservedSwarmNode {
  readonly id: string;
  readonly hostname: string;
  readonly role: string;
  readonly ready: boolean;
  readonly address: string;
}

/** A Swarm secret of the project. */
export interface ObservedSwarmSecret {
  readonly id: string;
  readonly name: string;
  /** The project secret it holds (label `com.esteps.secret`). */
  readonly secret: string | undefined;
  /** The id of the values volume its value was read from (label `com.esteps.volume-id`). */
  readonly volumeId: string | undefined;
}

export interface ObservedSwarm {
  readonly nodes: readonly ObservedSwarmNode[];
  readonly services: readonly ObservedSwarmService[];
  /** Network name -> ID. */
  readonly networks: Readonly<Record<string, string>>;
  /** Secret name -> ID. */
  readonly secrets: Readonly<Record<string, string>>;
  /** One-shot pull jobs an interrupted `apply` left (service IDs). @default none */
  readonly pullJobs?: readonly string[];
  /** The project's Swarm secrets with their labels. @default none */
  readonly secretInfo?: readonly ObservedSwarmSecret[];
  /**
   * The id label of `<project>.secrets` on the manager's engine; undefined when the volume
   * does not exist, has no id, or was not made by esteps for this project.
   */
  readonly valuesVolumeId?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * SWARM_UNAVAILABLE unless the engine is a Swarm manager, with one call (`GET /swarm`, a few
 * ms; `GET /version` and `GET /info` ask containerd and runc and cost 50 to 500 ms on a busy
 * node). Given to connectEngine as its check, so that call is also the one that proves the
 * engine answers; any other failure is rethrown as it came (connectEngine says what was tried).
 * Returns the Swarm's ID.
 */
export async function assertSwarmManager(docker: Docker, address: string): Promise<string> {
  try {
    const { ID } = (await docker.swarmInspect()) as { ID?: string };
    return ID ?? '';
  } catch (err) {
    const code = statusCode(err);
    if (code !== 503 && code !== 406) throw err;
    const worker = /worker nodes/i.test(engineMessage(err));
    const what = worker ? 'a Swarm worker, not a manager' : 'not part of a Swarm';
    throw new EstepsError('SWARM_UNAVAILABLE', `The engine at ${address} is ${what}.`, {
      hint: 'Point DOCKER_HOST (or --context) at a Swarm manager; for a test Swarm on this machine: export $(npm run -s swarm:up).',
      cause: err,
    });
  }
}

/**
 * A client of the engine that builds and pushes for a Swarm, without a call of its own: its
 * first image inspect is the check (ENGINE_UNAVAILABLE from there).
 */
export function buildEngine(env: Env): Docker {
  return new Docker(dockerOptions(env));
}

/** The id label of the project's values volume on the manager (after `apply` stored values). */
export async function valuesVolumeId(docker: Docker, project: string): Promise<string | undefined> {
  const info = await docker.getVolume(secretsVolumeName(project)).inspect();
  return info.Labels?.[labels.project] === project ? info.Labels?.[labels.volumeId] : undefined;
}

/** Everything of `project` on the Swarm, in one round of parallel reads. */
export async function observeSwarm(docker: Docker, project: string): Promise<ObservedSwarm> {
  const filters = projectFilter(project);
  const [nodes, services, networks, secrets, volume] = await Promise.all([
    docker.listNodes() as Promise<SwarmNodeInfo[]>,
    docker.listServices({ filters }) as Promise<SwarmServiceInfo[]>,
    docker.listNetworks({ filters }) as Promise<{ Id: string; Name: string }[]>,
    docker.listSecrets({ filters }) as Promise<SwarmSecretInfo[]>,
    docker
      .getVolume(secretsVolumeName(project))
      .inspect()
      .catch((err: unknown) => {
        if (statusCode(err) === 404) return undefined;
        throw err;
      }),
  ]);
  const volumeLabels = volume?.Labels ?? {};
  return {
    nodes: nodes
      .map((n) => ({
        id: n.ID,
        hostname: n.Description?.Hostname ?? n.ID,
        role: n.Spec?.Role ?? 'worker',
        ready: n.Status?.State === 'ready' && n.Spec?.Availability === 'active',
        address: n.Status?.Addr ?? '',
      }))
      .sort((a, b) => a.hostname.localeCompare(b.hostname)),
    services: services
      .filter((s) => !s.Spec.Labels?.[labels.probe])
      .map((s) => {
        const l = s.Spec.Labels ?? {};
        return {
          id: s.ID,
          name: s.Spec.Name,
          service: l[labels.service] ?? s.Spec.Name,
          versionIndex: s.Version.Index,
          configHash: l[labels.configHash],
          pinnedNode: l[labels.swarmNode],
          imageSource: l[labels.imageSource],
          codeVersion: l[labels.codeVersion],
          spec: s.Spec as unknown as Record<string, unknown>,
        };
      }),
    pullJobs: services.filter((s) => s.Spec.Labels?.[labels.probe]).map((s) => s.ID),
    networks: Object.fromEntries(networks.map((n) => [n.Name, n.Id])),
    secrets: Object.fromEntries(secrets.map((s) => [s.Spec.Name, s.ID])),
    secretInfo: secrets.map((s) => ({
      id: s.ID,
      name: s.Spec.Name,
      secret: s.Spec.Labels?.[labels.secret],
      volumeId: s.Spec.Labels?.[labels.volumeId],
    })),
    ...(volumeLabels[labels.project] === project &&
      volumeLabels[labels.volumeId] && { valuesVolumeId: volumeLabels[labels.volumeId] }),
  };
}

interface SwarmNodeInfo {
  ID: string;
  Description?: { Hostname?: string };
  Spec?: { Role?: string; Availability?: string };
  Status?: { State?: string; Addr?: string };
}

interface SwarmServiceInfo {
  ID: string;
  Version: { Index: number };
  Spec: { Name: string; Labels?: Record<string, string> };
}

interface SwarmSecretInfo {
  ID: string;
  Spec: { Name: string; Labels?: Record<string, string> };
}
