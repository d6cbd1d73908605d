/**
 * A real multi-node Docker Swarm on this one machine, for tests and benches (`npm run
 * swarm:up`). Each node is a Docker engine (Debian's docker.io) in a container of this machine's
 * engine, named after its Swarm hostname, on one user bridge network with a registry beside
 * them. Idempotent: a healthy cluster is reused untouched, a broken one repaired (stopped
 * nodes started, changed or missing ones recreated and joined, stale Swarm members removed).
 */
import Docker from 'dockerode';
import { dockerOptions } from '../../cli/engine/client.js';
import { retryUntil } from '../../cli/engine/retry.js';
import {
  checkDiskSpace,
  ensureBaseImage,
  ensureStandInImage,
  repoRoot,
  type ScriptContext,
  SetupError,
} from '../standin-images.js';
import {
  applyContainerActions,
  applySwarmActions,
  ensureNetwork,
  waitForEngines,
  waitForSwarm,
} from './apply-cluster.js';
import { type SwarmFacts, swarmFacts, writeSwarmFacts } from './cluster-facts.js';
import { type ClusterSpec, clusterSpec } from './cluster-spec.js';
import { desiredContainers, swarmImages } from './container-config.js';
import { hostEngine } from './host-engine.js';
import { removeNodeCgroups } from './node-cgroups.js';
import { type NodeEngine, observeHost, observeSwarm } from './observe-cluster.js';
import {
  type ContainerAction,
  describeAction,
  planContainers,
  planSwarm,
  type SwarmAction,
} from './plan-cluster.js';
import { log, type SwarmScriptOptions } from './swarm-script.js';

const ctx: ScriptContext = { log, rerun: 'npm run swarm:up' };
/** Free space a cluster needs: its images, and each node's copy of what it runs. */
const minFreeBytes = 4 * 1024 ** 3;

export interface SwarmUpResult {
  readonly facts: SwarmFacts;
  /** False when the cluster was healthy and nothing was done. */
  readonly changed: boolean;
  readonly actions: readonly { target: string; action: string; cause: string }[];
  readonly durationMs: number;
}

export async function bringUpCluster(options: SwarmScriptOptions): Promise<SwarmUpResult> {
  const started = Date.now();
  const spec = clusterSpec(options);
  const host = await hostEngine();

  const images = await ensureImages(host);
  const observed = await observeHost(host, spec);
  const network = await ensureNetwork(host, spec, observed.network);
  if (network.created) log(`create-network ${spec.network} (no network)`);
  const desired = desiredContainers({ spec, subnet: network.subnet, ...images });
  const containerActions = planContainers({
    desired,
    observed: observed.containers,
    networkId: network.id,
    volumes: observed.volumes,
  });
  if (containerActions.length > 0) {
    await checkDiskSpace(minFreeBytes, 'the test Swarm', ctx);
    for (const a of containerActions) log(describeAction(a));
    await applyContainerActions(host, containerActions, spec);
    const removedNodes = containerActions
      .filter((a) => a.kind === 'remove' && a.target !== spec.registry.name)
      .map((a) => a.target);
    await removeNodeCgroups(removedNodes);
  }

  const engines = spec.nodes.map((n) => nodeEngine(n.name, n.apiHostPort));
  const [manager, ...workers] = engines as [NodeEngine, ...NodeEngine[]];
  await Promise.all([waitForEngines(host, engines), waitForRegistry(spec)]);
  const swarmActions = planSwarm(await observeSwarm(manager, workers));
  for (const a of swarmActions) log(describeAction(a));
  await applySwarmActions({
    spec,
    subnet: network.subnet,
    manager,
    workers,
    actions: swarmActions,
  });
  await waitForSwarm(
    manager,
    spec.nodes.map((n) => n.name),
  );

  const { ID: swarmId } = (await manager.docker.swarmInspect()) as { ID?: string };
  const facts = swarmFacts(spec, network.subnet, swarmId);
  await writeSwarmFacts(repoRoot, facts);
  const actions = [
    ...(network.created
      ? [{ target: spec.network, action: 'create-network', cause: 'no network' }]
      : []),
    ...containerActions.map(describe),
    ...swarmActions.map(describe),
  ];
  return { facts, changed: actions.length > 0, actions, durationMs: Date.now() - started };
}

async function ensureImages(
  host: Docker,
): Promise<{ nodeImageId: string; registryImageId: string }> {
  await ensureBaseImage(ctx);
  const beforeBuild = () => checkDiskSpace(minFreeBytes, 'the test Swarm', ctx);
  const [node, registry] = await Promise.all([
    ensureStandInImage(swarmImages.node, ctx, { beforeBuild }),
    ensureStandInImage(swarmImages.registry, ctx, { beforeBuild }),
  ]);
  if (node === 'built' || registry === 'built') {
    log(`images ${swarmImages.node.tag} (${node}), ${swarmImages.registry.tag} (${registry})`);
  }
  const [nodeImage, registryImage] = await Promise.all([
    host.getImage(swarmImages.node.tag).inspect(),
    host.getImage(swarmImages.registry.tag).inspect(),
  ]);
  return { nodeImageId: nodeImage.Id, registryImageId: registryImage.Id };
}

function nodeEngine(name: string, port: number): NodeEngine {
  return {
    name,
    docker: new Docker({
      ...dockerOptions({ DOCKER_HOST: `tcp://127.0.0.1:${port}` }),
      timeout: 30_000,
    }),
  };
}

async function waitForRegistry(spec: ClusterSpec, timeoutMs = 30_000): Promise<void> {
  const url = `http://127.0.0.1:${spec.registry.hostPort}/v2/`;
  const result = await retryUntil(
    async () => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        return res.ok
          ? { done: true, value: undefined }
          : { done: false, reason: `HTTP ${res.status}` };
      } catch (err) {
        return { done: false, reason: (err as Error).message };
      }
    },
    { timeoutMs, intervalMs: 100 },
  );
  if (!result.ok) {
    throw new SetupError(
      `the registry ${spec.registry.name} did not answer ${url} within ${timeoutMs / 1000} s (${result.lastReason})`,
      `read docker logs ${spec.registry.name}, then rerun npm run swarm:up`,
      'REGISTRY_FAILED',
    );
  }
}

function describe(a: ContainerAction | SwarmAction): {
  target: string;
  action: string;
  cause: string;
} {
  return { target: a.target, action: a.kind, cause: a.cause };
}
