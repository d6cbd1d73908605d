/**
 * What later code needs to know about a running test Swarm: the contract of
 * `npm run swarm:up -- --json` and of the file it writes, `.esteps/swarm/<cluster>.json`
 * (git-ignored). Stable: fields may be added, none removed or renamed.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  addressInSubnet,
  type ClusterSpec,
  type NodeRole,
  type PortMapping,
} from './cluster-spec.js';

export interface SwarmNodeFacts {
  /** Container name on this machine's engine = the node's hostname in the Swarm. */
  readonly name: string;
  readonly role: NodeRole;
  /** The node's own engine, e.g. tcp://127.0.0.1:23752 (load images, inspect its tasks). */
  readonly dockerHost: string;
  /** The node's address on the cluster network (reachable from this machine, not needed). */
  readonly address: string;
  /** Host-mode published port on the node -> port on 127.0.0.1 of this machine. */
  readonly ports: readonly PortMapping[];
}

export interface SwarmFacts {
  readonly cluster: string;
  /** The manager's engine: DOCKER_HOST for everything that deploys to the Swarm. */
  readonly dockerHost: string;
  /**
   * The registry as the nodes and the manager reach it (ESTEPS_REGISTRY): tag images
   * `<registry>/<name>:<tag>`, push them through the manager, and name them so in services.
   */
  readonly registry: string;
  /** The same registry from this machine's engine: `docker push 127.0.0.1:<port>/<name>`. */
  readonly registryFromHost: string;
  /** The user bridge network of the nodes and the registry on this machine's engine. */
  readonly network: string;
  readonly nodes: readonly SwarmNodeFacts[];
  /**
   * The Swarm's ID (`GET /swarm`): esteps recognises the test Swarm by it however its manager
   * is reached (DOCKER_HOST, a context, TLS or SSH in front of it).
   */
  readonly swarmId?: string;
}

export function swarmFacts(spec: ClusterSpec, subnet: string, swarmId?: string): SwarmFacts {
  const manager = spec.nodes.find((n) => n.role === 'manager')!;
  return {
    cluster: spec.name,
    ...(swarmId && { swarmId }),
    dockerHost: `tcp://127.0.0.1:${manager.apiHostPort}`,
    registry: spec.registry.address,
    registryFromHost: `127.0.0.1:${spec.registry.hostPort}`,
    network: spec.network,
    nodes: spec.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      dockerHost: `tcp://127.0.0.1:${n.apiHostPort}`,
      address: addressInSubnet(subnet, n.addressOffset),
      ports: n.ports,
    })),
  };
}

/** The lines swarm:up prints on stdout, the manager's DOCKER_HOST last. */
export function envLines(facts: SwarmFacts): string[] {
  return [`ESTEPS_REGISTRY=${facts.registry}`, `DOCKER_HOST=${facts.dockerHost}`];
}

export function factsPath(root: string, cluster: string): string {
  return join(root, '.esteps', 'swarm', `${cluster}.json`);
}

export async function writeSwarmFacts(root: string, facts: SwarmFacts): Promise<void> {
  const path = factsPath(root, facts.cluster);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(facts, null, 2)}\n`);
}

/** The facts of a cluster swarm:up brought up, or undefined when it wrote none. */
export async function readSwarmFacts(
  root: string,
  cluster: string,
): Promise<SwarmFacts | undefined> {
  try {
    return JSON.parse(await readFile(factsPath(root, cluster), 'utf8')) as SwarmFacts;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function removeSwarmFacts(root: string, cluster: string): Promise<void> {
  await rm(factsPath(root, cluster), { force: true });
}
