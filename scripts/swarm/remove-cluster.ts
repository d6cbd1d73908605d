import type Docker from 'dockerode';
import { isGoneOrUnchanged } from '../../cli/engine/engine-errors.js';
import { labels } from '../../cli/engine/labels.js';
import { removeSwarmFacts } from './cluster-facts.js';
import { removeNodeCgroups } from './node-cgroups.js';
import { clusterFilter } from './observe-cluster.js';

export interface RemovedCluster {
  readonly containers: readonly string[];
  readonly networks: readonly string[];
  readonly volumes: readonly string[];
}

/**
 * Removes exactly what carries `com.esteps.swarm=<cluster>`: the node and registry containers
 * (killed: the cluster is disposable, and a graceful stop of each engine takes seconds), their
 * volumes, the network, the nodes' cgroups and the facts file. Idempotent.
 */
export async function removeCluster(
  docker: Docker,
  root: string,
  cluster: string,
): Promise<RemovedCluster> {
  const filters = clusterFilter(cluster);
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) =>
      docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreGone),
    ),
  );
  const nodeNames = containers
    .filter((c) => c.Labels[labels.swarmRole] !== 'registry')
    .map((c) => containerName(c));
  const [networks, { Volumes }] = await Promise.all([
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
    removeNodeCgroups(nodeNames),
  ]).then(([n, v]) => [n, v] as const);
  await Promise.all([
    ...networks.map((n) => docker.getNetwork(n.Id).remove().catch(ignoreGone)),
    ...(Volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch(ignoreGone)),
  ]);
  await removeSwarmFacts(root, cluster);
  return {
    containers: containers.map(containerName).sort(),
    networks: networks.map((n) => n.Name).sort(),
    volumes: (Volumes ?? []).map((v) => v.Name).sort(),
  };
}

function containerName(c: Docker.ContainerInfo): string {
  return (c.Names[0] ?? c.Id).replace(/^\//, '');
}

function ignoreGone(err: unknown): void {
  if (!isGoneOrUnchanged(err)) throw err;
}
