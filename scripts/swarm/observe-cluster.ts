/**
 * The engine reads swarm:up plans from: what carries the cluster's label on this machine's
 * engine, then the Swarm state of each node's engine.
 */
import type Docker from 'dockerode';
import { labels } from '../../cli/engine/labels.js';
import { SetupError } from '../standin-images.js';
import type { ClusterSpec } from './cluster-spec.js';
import type {
  LocalNodeState,
  ObservedContainer,
  ObservedEngine,
  ObservedSwarm,
  SwarmMember,
} from './plan-cluster.js';

export interface ObservedNetwork {
  readonly id: string;
  /** The subnet swarm:up pinned (so nodes keep their addresses); undefined if none. */
  readonly subnet: string | undefined;
}

export interface ObservedHost {
  readonly network: ObservedNetwork | undefined;
  /** Names of the volumes carrying the cluster's label. */
  readonly volumes: readonly string[];
  readonly containers: readonly ObservedContainer[];
}

export function clusterFilter(cluster: string): { label: string[] } {
  return { label: [`${labels.swarm}=${cluster}`] };
}

export async function observeHost(docker: Docker, spec: ClusterSpec): Promise<ObservedHost> {
  const filters = clusterFilter(spec.name);
  const [networks, volumes, list] = await Promise.all([
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
    docker.listContainers({ all: true, filters }),
  ]);
  const net = networks.find((n) => n.Name === spec.network);
  return {
    network: net && {
      id: net.Id,
      subnet: net.IPAM?.Config?.[0]?.Subnet,
    },
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
    containers: list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
      configHash: c.Labels[labels.configHash],
      running: c.State === 'running',
      networkIds: Object.values(c.NetworkSettings?.Networks ?? {}).map((n) => n.NetworkID),
    })),
  };
}

/** A node's engine, reached through its 127.0.0.1 port. */
export interface NodeEngine {
  readonly name: string;
  readonly docker: Docker;
}

interface SwarmInfo {
  Swarm?: { LocalNodeState?: string; NodeID?: string; ControlAvailable?: boolean };
}

export async function observeSwarm(
  manager: NodeEngine,
  workers: readonly NodeEngine[],
): Promise<ObservedSwarm> {
  const [m, ...ws] = await Promise.all([manager, ...workers].map(observeEngine));
  const managesSwarm = m!.state === 'active' && m!.controlAvailable;
  return {
    manager: m!,
    workers: ws,
    members: managesSwarm ? await listMembers(manager) : [],
  };
}

async function observeEngine(engine: NodeEngine): Promise<ObservedEngine> {
  const info = (await nodeCall(engine, 'read its Swarm state', () =>
    engine.docker.info(),
  )) as SwarmInfo;
  return {
    name: engine.name,
    state: (info.Swarm?.LocalNodeState ?? 'inactive') as LocalNodeState,
    nodeId: info.Swarm?.NodeID ?? '',
    controlAvailable: info.Swarm?.ControlAvailable ?? false,
  };
}

export async function listMembers(manager: NodeEngine): Promise<SwarmMember[]> {
  const nodes = await nodeCall(manager, 'list the Swarm nodes', () => manager.docker.listNodes());
  return nodes.map(
    (n: { ID: string; Description?: { Hostname?: string }; Status?: { State?: string } }) => ({
      id: n.ID,
      hostname: n.Description?.Hostname ?? '',
      state: n.Status?.State ?? 'unknown',
    }),
  );
}

/** Runs one call on a node's engine, turning a failure into an error naming node and step. */
export async function nodeCall<T>(
  engine: NodeEngine,
  what: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = err as { json?: { message?: string }; message?: string };
    const reason = e?.json?.message ?? e?.message ?? String(err);
    throw new SetupError(
      `node ${engine.name} could not ${what}: ${reason.trim()}`,
      `read the node's log (docker logs ${engine.name}), then rerun npm run swarm:up (npm run swarm:down first starts from scratch)`,
      'SWARM_NODE_FAILED',
    );
  }
}
