import { describe, expect, it } from 'vitest';
import { clusterSpec } from './cluster-spec.js';
import { type DesiredContainer, desiredContainers } from './container-config.js';
import {
  describeAction,
  type ObservedContainer,
  type ObservedEngine,
  planContainers,
  planSwarm,
  type SwarmMember,
  swarmNotReady,
} from './plan-cluster.js';

const spec = clusterSpec({ name: 'demo', nodes: 3, portBase: 23750 });
const desired = desiredContainers({
  spec,
  nodeImageId: 'sha256:node',
  registryImageId: 'sha256:registry',
  subnet: '192.168.16.0/20',
});

/** The observed container of a desired one, as swarm:up left it. */
function healthy(
  want: DesiredContainer,
  overrides: Partial<ObservedContainer> = {},
): ObservedContainer {
  return {
    id: `id-${want.name}`,
    name: want.name,
    configHash: want.configHash,
    running: true,
    networkIds: ['net1'],
    ...overrides,
  };
}

const allVolumes = desired.map((d) => d.volume);
const plan = (observed: ObservedContainer[], volumes: string[] = allVolumes) =>
  planContainers({ desired, observed, networkId: 'net1', volumes }).map(describeAction);

describe('planContainers', () => {
  it('creates the volumes, the registry and every node on an empty engine', () => {
    expect(plan([], [])).toEqual([
      'create-volume demo-registry (no volume)',
      'create-volume demo-manager-1-data (no volume)',
      'create-volume demo-worker-1-data (no volume)',
      'create-volume demo-worker-2-data (no volume)',
      'create demo-registry (no container)',
      'create demo-manager-1 (no container)',
      'create demo-worker-1 (no container)',
      'create demo-worker-2 (no container)',
    ]);
  });

  it('does nothing to a healthy cluster', () => {
    expect(plan(desired.map((d) => healthy(d)))).toEqual([]);
  });

  it('starts a stopped node, recreates a changed or missing one, removes one not in the layout', () => {
    const [registry, manager, worker1] = desired as [
      DesiredContainer,
      DesiredContainer,
      DesiredContainer,
    ];
    const observed = [
      healthy(registry),
      healthy(manager, { running: false }),
      healthy(worker1, { configHash: 'old' }),
      { id: 'id-w3', name: 'demo-worker-3', configHash: 'x', running: true, networkIds: ['net1'] },
    ];
    expect(plan(observed, [...allVolumes, 'demo-worker-3-data'])).toEqual([
      'remove demo-worker-1 (configuration changed)',
      'remove demo-worker-3 (not in this layout)',
      'remove-volume demo-worker-3-data (not in this layout)',
      'create demo-worker-1 (configuration changed)',
      'create demo-worker-2 (no container)',
      'start demo-manager-1 (stopped)',
    ]);
  });

  it('recreates containers attached to a network that was recreated', () => {
    const observed = desired.map((d) => healthy(d, { networkIds: ['gone'] }));
    expect(plan(observed).filter((l) => l.startsWith('create'))).toHaveLength(4);
    expect(plan(observed)[0]).toBe('remove demo-registry (its network was recreated)');
  });
});

describe('desiredContainers', () => {
  it('gives each node a fixed address, its engine API and its ports on 127.0.0.1 only', () => {
    const worker = desired.find((d) => d.name === 'demo-worker-1')!;
    const host = worker.options.HostConfig!;
    const bindings = Object.values(
      host.PortBindings as Record<string, { HostIp: string }[]>,
    ).flat();
    expect(bindings).toHaveLength(11);
    expect(bindings.every((b) => b.HostIp === '127.0.0.1')).toBe(true);
    expect(host.PortBindings).toMatchObject({
      '2375/tcp': [{ HostPort: '23752' }],
      '30000/tcp': [{ HostPort: '23770' }],
    });
    expect(worker.options.NetworkingConfig!.EndpointsConfig!.demo!.IPAMConfig).toEqual({
      IPv4Address: '192.168.16.12',
    });
    expect(worker.options.Hostname).toBe('demo-worker-1');
    expect(worker.options.Labels).toEqual({
      'com.esteps.swarm': 'demo',
      'com.esteps.swarm-role': 'worker',
      'com.esteps.config-hash': worker.configHash,
    });
  });

  it("changes a container's hash when its image changes, and only that", () => {
    const rebuilt = desiredContainers({
      spec,
      nodeImageId: 'sha256:node2',
      registryImageId: 'sha256:registry',
      subnet: '192.168.16.0/20',
    });
    const changed = rebuilt
      .filter((c, i) => c.configHash !== desired[i]!.configHash)
      .map((c) => c.role);
    expect(changed).toEqual(['manager', 'worker', 'worker']);
  });
});

const engine = (
  name: string,
  state: ObservedEngine['state'],
  nodeId: string,
  manager = false,
): ObservedEngine => ({
  name,
  state,
  nodeId,
  controlAvailable: manager,
});
const member = (id: string, hostname: string, state = 'ready'): SwarmMember => ({
  id,
  hostname,
  state,
});

describe('planSwarm', () => {
  it('starts a Swarm on a fresh manager and has every worker join it', () => {
    const actions = planSwarm({
      manager: engine('m', 'inactive', ''),
      workers: [engine('w1', 'inactive', ''), engine('w2', 'active', 'old2')],
      members: [],
    });
    expect(actions.map(describeAction)).toEqual([
      'init m (manages no Swarm)',
      'join w1 (new Swarm)',
      'leave w2 (in a former Swarm (active))',
      'join w2 (new Swarm)',
    ]);
  });

  it('does nothing when every worker is a member', () => {
    const actions = planSwarm({
      manager: engine('m', 'active', 'M', true),
      workers: [engine('w1', 'active', 'W1'), engine('w2', 'pending', 'W2')],
      members: [member('M', 'm'), member('W1', 'w1'), member('W2', 'w2', 'down')],
    });
    expect(actions).toEqual([]);
  });

  it('joins a recreated worker and removes the member it left behind', () => {
    const actions = planSwarm({
      manager: engine('m', 'active', 'M', true),
      workers: [engine('w1', 'active', 'W1'), engine('w2', 'inactive', '')],
      members: [member('M', 'm'), member('W1', 'w1'), member('OLD', 'w2', 'down')],
    });
    expect(actions.map(describeAction)).toEqual([
      'join w2 (in no Swarm)',
      'remove-node w2 (stale (down): no engine of the cluster has this node ID)',
    ]);
  });

  it('moves a worker of another Swarm into this one', () => {
    const actions = planSwarm({
      manager: engine('m', 'active', 'M', true),
      workers: [engine('w1', 'active', 'ELSEWHERE')],
      members: [member('M', 'm')],
    });
    expect(actions.map(describeAction)).toEqual([
      'leave w1 (in another Swarm (active))',
      'join w1 (not a member)',
    ]);
  });
});

describe('swarmNotReady', () => {
  it('says which node is missing, not ready, or unknown', () => {
    expect(swarmNotReady(['m', 'w1'], [member('M', 'm'), member('W1', 'w1')])).toBeUndefined();
    expect(
      swarmNotReady(
        ['m', 'w1', 'w2'],
        [member('M', 'm'), member('W1', 'w1', 'down'), member('X', 'x')],
      ),
    ).toBe('w1 is down; w2 is not a member; unknown members x');
  });
});
