/**
 * Carries out what plan-cluster decided, on this machine's engine and on the nodes' engines.
 * Decides nothing; every failure names what failed and the next step.
 */
import type Docker from 'dockerode';
import { engineMessage, isGoneOrUnchanged, portInUse } from '../../cli/engine/engine-errors.js';
import { labels } from '../../cli/engine/labels.js';
import { demultiplex } from '../../cli/engine/log-frames.js';
import { retryUntil } from '../../cli/engine/retry.js';
import { SetupError } from '../standin-images.js';
import { addressInSubnet, type ClusterSpec } from './cluster-spec.js';
import { listMembers, type NodeEngine, nodeCall, type ObservedNetwork } from './observe-cluster.js';
import { type ContainerAction, type SwarmAction, swarmNotReady } from './plan-cluster.js';

const swarmPort = 2377;
/**
 * How often workers report to the manager: 1 s instead of Docker's 5 s, so a stopped node is
 * seen down in about 2 s rather than 9 (fault tests wait on it; the cost is two tiny
 * messages a second).
 */
const heartbeatPeriodNs = 1_000_000_000;

/**
 * The cluster network, created when missing. Its subnet is pinned (the engine picks a free
 * one for a throw-away network first), because only a network with a configured subnet lets
 * containers keep fixed addresses, and a Swarm manager must keep its address across restarts.
 */
export async function ensureNetwork(
  docker: Docker,
  spec: ClusterSpec,
  observed: ObservedNetwork | undefined,
): Promise<{ id: string; subnet: string; created: boolean }> {
  if (observed?.subnet) return { id: observed.id, subnet: observed.subnet, created: false };
  const Labels = { [labels.swarm]: spec.name };
  if (observed) await docker.getNetwork(observed.id).remove().catch(ignoreGone);
  const probeName = `${spec.network}-probe`;
  // One an interrupted run left behind (it carries the cluster label).
  for (const left of await docker.listNetworks({
    filters: { name: [probeName], label: [`${labels.swarm}=${spec.name}`] },
  })) {
    await docker.getNetwork(left.Id).remove().catch(ignoreGone);
  }
  const probe = await createNetwork(docker, spec, { Name: probeName, Labels });
  let subnet: string | undefined;
  let gateway: string | undefined;
  try {
    const info = (await probe.inspect()) as {
      IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] };
    };
    subnet = info.IPAM?.Config?.[0]?.Subnet;
    gateway = info.IPAM?.Config?.[0]?.Gateway;
  } finally {
    await probe.remove().catch(ignoreGone);
  }
  if (!subnet || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(subnet)) {
    throw new SetupError(
      `the engine gave network ${spec.network} no IPv4 subnet (${subnet ?? 'none'})`,
      "check the engine's default-address-pools (docker info), then rerun npm run swarm:up",
      'NETWORK_FAILED',
    );
  }
  const network = await createNetwork(docker, spec, {
    Name: spec.network,
    Driver: 'bridge',
    Labels,
    IPAM: { Driver: 'default', Config: [{ Subnet: subnet, ...(gateway && { Gateway: gateway }) }] },
  });
  return { id: network.id, subnet, created: true };
}

async function createNetwork(
  docker: Docker,
  spec: ClusterSpec,
  options: Docker.NetworkCreateOptions,
): Promise<Docker.Network> {
  // The engine accepts a second network of the same name, and then refuses to attach to
  // either: a name taken by a network that is not the cluster's stops here.
  const sameName = (await docker.listNetworks({ filters: { name: [options.Name] } })).filter(
    (n) => n.Name === options.Name && n.Labels?.[labels.swarm] !== spec.name,
  );
  if (sameName.length > 0) {
    throw new SetupError(
      `a network named ${options.Name} exists without the label ${labels.swarm}=${spec.name}`,
      'remove it (docker network rm), or pick another --cluster name, then rerun npm run swarm:up',
      'NETWORK_FAILED',
    );
  }
  try {
    return await docker.createNetwork(options);
  } catch (err) {
    throw new SetupError(
      `could not create network ${options.Name}: ${engineMessage(err)}`,
      'fix what the engine says, then rerun npm run swarm:up',
      'NETWORK_FAILED',
    );
  }
}

export async function applyContainerActions(
  docker: Docker,
  actions: readonly ContainerAction[],
  spec: ClusterSpec,
): Promise<void> {
  const of = <K extends ContainerAction['kind']>(kind: K) =>
    actions.filter((a): a is Extract<ContainerAction, { kind: K }> => a.kind === kind);
  await Promise.all(
    of('remove').map((a) =>
      docker.getContainer(a.id).remove({ force: true, v: true }).catch(ignoreGone),
    ),
  );
  await Promise.all([
    ...of('remove-volume').map((a) => docker.getVolume(a.target).remove().catch(ignoreGone)),
    ...of('create-volume').map((a) =>
      docker.createVolume({ Name: a.target, Labels: { [labels.swarm]: spec.name } }),
    ),
  ]);
  const created = await Promise.all(
    of('create').map(async (a) => {
      try {
        return { name: a.target, id: (await docker.createContainer(a.container.options)).id };
      } catch (err) {
        throw new SetupError(
          `could not create container ${a.target}: ${engineMessage(err)}`,
          /already in use/.test(engineMessage(err))
            ? `a container named ${a.target} exists without the label ${labels.swarm}=${spec.name}: remove or rename it, or pick another --cluster name`
            : 'fix what the engine says, then rerun npm run swarm:up',
          'CONTAINER_FAILED',
        );
      }
    }),
  );
  const toStart = [...created, ...of('start').map((a) => ({ name: a.target, id: a.id }))];
  await Promise.all(
    toStart.map(async ({ name, id }) => {
      try {
        await docker.getContainer(id).start();
      } catch (err) {
        if (isGoneOrUnchanged(err)) return;
        const port = portInUse(err);
        throw new SetupError(
          `could not start container ${name}: ${engineMessage(err)}`,
          port
            ? `free 127.0.0.1:${port.hostPort ?? '?'}, or give the cluster another block of ports (--port-base), then rerun npm run swarm:up`
            : `read docker logs ${name}, then rerun npm run swarm:up`,
          port ? 'PORT_IN_USE' : 'CONTAINER_FAILED',
        );
      }
    }),
  );
}

/**
 * Waits (bounded) until every node's engine answers on its 127.0.0.1 port; a node whose
 * container stops meanwhile fails at once, with the end of its log.
 */
export async function waitForEngines(
  host: Docker,
  engines: readonly NodeEngine[],
  timeoutMs = 60_000,
): Promise<void> {
  await Promise.all(
    engines.map(async (engine) => {
      let attempts = 0;
      const result = await retryUntil(
        async () => {
          try {
            await engine.docker.ping();
            return { done: true, value: undefined };
          } catch (err) {
            attempts++;
            if (attempts % 10 === 0 && !(await isRunning(host, engine.name))) {
              throw await nodeDown(host, engine.name, 'stopped while its engine was starting');
            }
            return { done: false, reason: engineMessage(err) };
          }
        },
        { timeoutMs, intervalMs: 100 },
      );
      if (!result.ok) {
        throw await nodeDown(
          host,
          engine.name,
          `did not answer within ${timeoutMs / 1000} s (${result.lastReason})`,
        );
      }
    }),
  );
}

async function isRunning(host: Docker, name: string): Promise<boolean> {
  const info = await host
    .getContainer(name)
    .inspect()
    .catch(() => undefined);
  return info?.State?.Running === true;
}

async function nodeDown(host: Docker, name: string, what: string): Promise<SetupError> {
  const logs = await host
    .getContainer(name)
    .logs({ stdout: true, stderr: true, tail: 10 })
    .then((b) => demultiplex(b).trimEnd())
    .catch(() => '(no logs)');
  return new SetupError(
    `the engine of node ${name} ${what}; its log ends:\n${logs}`,
    'fix what the log says, then rerun npm run swarm:up (npm run swarm:down first starts from scratch)',
    'SWARM_NODE_FAILED',
  );
}

export async function applySwarmActions(input: {
  readonly spec: ClusterSpec;
  readonly subnet: string;
  readonly manager: NodeEngine;
  readonly workers: readonly NodeEngine[];
  readonly actions: readonly SwarmAction[];
}): Promise<void> {
  const { spec, subnet, manager, actions } = input;
  const engines = new Map([manager, ...input.workers].map((e) => [e.name, e]));
  const address = (name: string) =>
    addressInSubnet(subnet, spec.nodes.find((n) => n.name === name)!.addressOffset);
  const managerAddress = address(manager.name);

  await Promise.all(
    actions
      .filter((a) => a.kind === 'leave')
      .map((a) => {
        const engine = engines.get(a.target)!;
        return nodeCall(engine, 'leave its Swarm', () => engine.docker.swarmLeave({ force: true }));
      }),
  );
  if (actions.some((a) => a.kind === 'init')) {
    await nodeCall(manager, 'start a Swarm', () =>
      manager.docker.swarmInit({
        ListenAddr: `0.0.0.0:${swarmPort}`,
        AdvertiseAddr: `${managerAddress}:${swarmPort}`,
        Spec: { Dispatcher: { HeartbeatPeriod: heartbeatPeriodNs } },
      }),
    );
  }
  const joins = actions.filter((a) => a.kind === 'join');
  if (joins.length > 0) {
    const swarm = (await nodeCall(manager, 'read its join token', () =>
      manager.docker.swarmInspect(),
    )) as { JoinTokens: { Worker: string } };
    await Promise.all(
      joins.map((a) => {
        const engine = engines.get(a.target)!;
        return nodeCall(engine, `join the Swarm of ${manager.name}`, () =>
          engine.docker.swarmJoin({
            ListenAddr: `0.0.0.0:${swarmPort}`,
            AdvertiseAddr: `${address(a.target)}:${swarmPort}`,
            RemoteAddrs: [`${managerAddress}:${swarmPort}`],
            JoinToken: swarm.JoinTokens.Worker,
          }),
        );
      }),
    );
  }
  for (const a of actions) {
    if (a.kind !== 'remove-node') continue;
    await nodeCall(manager, `remove the stale node ${a.target} (${a.id})`, () =>
      manager.docker.getNode(a.id).remove({ force: true }),
    ).catch((err: unknown) => {
      if (!/not found/i.test((err as Error).message)) throw err;
    });
  }
}

/** Waits (bounded) until the manager lists every node, ready, and nothing else. */
export async function waitForSwarm(
  manager: NodeEngine,
  nodeNames: readonly string[],
  timeoutMs = 60_000,
): Promise<void> {
  const result = await retryUntil(
    async () => {
      const reason = swarmNotReady(nodeNames, await listMembers(manager));
      return reason ? { done: false, reason } : { done: true, value: undefined };
    },
    { timeoutMs, intervalMs: 200 },
  );
  if (!result.ok) {
    throw new SetupError(
      `the Swarm was not ready within ${timeoutMs / 1000} s: ${result.lastReason}`,
      "read the nodes' logs (docker logs <node>), then rerun npm run swarm:up (npm run swarm:down first starts from scratch)",
      'SWARM_NOT_READY',
    );
  }
}

function ignoreGone(err: unknown): void {
  if (!isGoneOrUnchanged(err)) throw err;
}
