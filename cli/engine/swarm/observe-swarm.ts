/**
 * The one read of the Swarm that `up --swarm` plans from: is the engine a manager, its
 * nodes, and the project's services, networks and secrets, by label.
 */
import type Docker from 'dockerode';
import { EstepsError } from '../../errors.js';
import { labels, projectFilter } from '../labels.js';

export interface ObservedSwarmService {
  readonly id: string;
  readonly name: string;
  /** The stack service (label). */
  readonly service: string;
  readonly versionIndex: number;
  readonly configHash: string | undefined;
  readonly pinnedNode: string | undefined;
  readonly spec: Record<string, unknown>;
}

export interface ObservedSwarmNode {
  readonly id: string;
  readonly hostname: string;
  readonly role: string;
  readonly ready: boolean;
  readonly address: string;
}

export interface ObservedSwarm {
  readonly nodes: readonly ObservedSwarmNode[];
  readonly services: readonly ObservedSwarmService[];
  /** Network name -> ID. */
  readonly networks: Readonly<Record<string, string>>;
  /** Secret name -> ID. */
  readonly secrets: Readonly<Record<string, string>>;
}

/** SWARM_UNAVAILABLE unless the engine is a Swarm manager. */
export async function assertSwarmManager(docker: Docker, address: string): Promise<void> {
  const info = (await docker.info()) as {
    Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean };
  };
  const state = info.Swarm?.LocalNodeState ?? 'inactive';
  if (state !== 'active' || !info.Swarm?.ControlAvailable) {
    const what = state === 'active' ? 'a Swarm worker, not a manager' : 'not part of a Swarm';
    throw new EstepsError('SWARM_UNAVAILABLE', `The engine at ${address} is ${what}.`, {
      hint: 'Point DOCKER_HOST at a Swarm manager; for a test Swarm on this machine: export $(npm run -s swarm:up).',
    });
  }
}

export async function observeSwarm(docker: Docker, project: string): Promise<ObservedSwarm> {
  const filters = projectFilter(project);
  const [nodes, services, networks, secrets] = await Promise.all([
    docker.listNodes() as Promise<SwarmNodeInfo[]>,
    docker.listServices({ filters }) as Promise<SwarmServiceInfo[]>,
    docker.listNetworks({ filters }) as Promise<{ Id: string; Name: string }[]>,
    docker.listSecrets({ filters }) as Promise<{ ID: string; Spec: { Name: string } }[]>,
  ]);
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
    services: services.map((s) => ({
      id: s.ID,
      name: s.Spec.Name,
      service: s.Spec.Labels?.[labels.service] ?? s.Spec.Name,
      versionIndex: s.Version.Index,
      configHash: s.Spec.Labels?.[labels.configHash],
      pinnedNode: s.Spec.Labels?.[labels.swarmNode],
      spec: s.Spec as unknown as Record<string, unknown>,
    })),
    networks: Object.fromEntries(networks.map((n) => [n.Name, n.Id])),
    secrets: Object.fromEntries(secrets.map((s) => [s.Spec.Name, s.ID])),
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
