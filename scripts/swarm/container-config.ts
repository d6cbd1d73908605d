/**
 * The containers of the test Swarm as engine create options, built from the cluster spec, the
 * images' IDs and the network's subnet. Pure: the hash of these options is the container's
 * config-hash label, so a changed image or layout recreates exactly the containers it touches.
 */
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { labels } from '../../cli/engine/labels.js';
import {
  addressInSubnet,
  type ClusterSpec,
  engineApiPort,
  type NodeSpec,
  registryPort,
} from './cluster-spec.js';

export const swarmImages = {
  node: {
    tag: 'esteps-local/swarm-node:bookworm-docker20.10',
    dir: 'swarm-node',
    standInFor: 'docker:20.10-dind',
  },
  registry: {
    tag: 'esteps-local/registry:2.8-bookworm',
    dir: 'registry',
    standInFor: 'registry:2',
  },
} as const;

/** What the recipe in shared/ENVIRONMENT.md gives a node instead of `--privileged`, which
 * fails here: the VM's bounding set lacks CAP_SYS_RESOURCE ("unable to apply caps"). */
const nodeCapabilities = [
  'SYS_ADMIN',
  'NET_ADMIN',
  'NET_RAW',
  'SYS_PTRACE',
  'MKNOD',
  'SYS_CHROOT',
  'SETFCAP',
  'AUDIT_WRITE',
  'DAC_READ_SEARCH',
  'IPC_LOCK',
  'SYS_NICE',
  'LINUX_IMMUTABLE',
  'NET_BROADCAST',
  'SYS_RAWIO',
  'SYSLOG',
];

export interface ContainerInputs {
  readonly spec: ClusterSpec;
  /** Image IDs of swarmImages.node and swarmImages.registry. */
  readonly nodeImageId: string;
  readonly registryImageId: string;
  /** The cluster network's IPv4 subnet, e.g. 192.168.16.0/20. */
  readonly subnet: string;
}

export interface DesiredContainer {
  readonly name: string;
  readonly role: 'manager' | 'worker' | 'registry';
  readonly configHash: string;
  /** The named volume it mounts (created, labelled, before the container). */
  readonly volume: string;
  readonly options: Docker.ContainerCreateOptions;
}

/** The registry first (nodes pull from it), then the manager, then the workers. */
export function desiredContainers(inputs: ContainerInputs): DesiredContainer[] {
  return [registryContainer(inputs), ...inputs.spec.nodes.map((n) => nodeContainer(inputs, n))];
}

/**
 * The cgroup under which a node's engine puts its containers: its own, not the machine
 * engine's `docker/`, so what a killed node leaves in /sys/fs/cgroup is found by name.
 */
export function nodeCgroupParent(nodeName: string): string {
  return `/${nodeName}`;
}

function nodeContainer(inputs: ContainerInputs, node: NodeSpec): DesiredContainer {
  const { spec, subnet } = inputs;
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {
    [`${engineApiPort}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(node.apiHostPort) }],
  };
  for (const p of node.ports) {
    portBindings[`${p.node}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: String(p.host) }];
  }
  const options: Docker.ContainerCreateOptions = {
    name: node.name,
    Hostname: node.name,
    Image: inputs.nodeImageId,
    Cmd: [
      `--insecure-registry=${spec.registry.address}`,
      // An engine label: whoever reaches this engine can tell it is a node of a test Swarm.
      `--label=${labels.swarm}=${spec.name}`,
      `--cgroup-parent=${nodeCgroupParent(node.name)}`,
      '--log-level=warn',
    ],
    ExposedPorts: Object.fromEntries(Object.keys(portBindings).map((p) => [p, {}])),
    HostConfig: {
      Init: true,
      CapAdd: nodeCapabilities,
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      Devices: [
        { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
      ],
      // A named volume rather than the image's anonymous one: it carries the cluster label,
      // so swarm:down finds it even after a node's container was removed by hand.
      Binds: [`${node.volume}:/var/lib/docker`, '/sys/fs/cgroup:/sys/fs/cgroup:rw'],
      // A fresh /run at every start, as on a machine that boots: a node that was stopped
      // starts again instead of dying on the pid file its engine left ("pid file found").
      Tmpfs: { '/run': 'rw,nosuid,nodev,mode=755' },
      PortBindings: portBindings,
      NetworkMode: spec.network,
      // No restart policy: after the machine's engine restarts, a cluster left behind stays
      // down (holding no ports) until the next swarm:up starts it again.
      RestartPolicy: { Name: 'no' },
    },
    NetworkingConfig: {
      EndpointsConfig: {
        [spec.network]: {
          IPAMConfig: { IPv4Address: addressInSubnet(subnet, node.addressOffset) },
        },
      },
    },
  };
  return withHash(node.name, node.role, node.volume, spec.name, options);
}

function registryContainer(inputs: ContainerInputs): DesiredContainer {
  const { spec, subnet } = inputs;
  const { registry } = spec;
  const options: Docker.ContainerCreateOptions = {
    name: registry.name,
    Hostname: registry.name,
    Image: inputs.registryImageId,
    ExposedPorts: { [`${registryPort}/tcp`]: {} },
    HostConfig: {
      Binds: [`${registry.volume}:/var/lib/docker-registry`],
      PortBindings: {
        [`${registryPort}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(registry.hostPort) }],
      },
      NetworkMode: spec.network,
      RestartPolicy: { Name: 'no' },
    },
    NetworkingConfig: {
      EndpointsConfig: {
        [spec.network]: {
          IPAMConfig: { IPv4Address: addressInSubnet(subnet, registry.addressOffset) },
        },
      },
    },
  };
  return withHash(registry.name, 'registry', registry.volume, spec.name, options);
}

function withHash(
  name: string,
  role: DesiredContainer['role'],
  volume: string,
  cluster: string,
  options: Docker.ContainerCreateOptions,
): DesiredContainer {
  const configHash = createHash('sha256')
    .update(JSON.stringify(options))
    .digest('hex')
    .slice(0, 16);
  return {
    name,
    role,
    configHash,
    volume,
    options: {
      ...options,
      Labels: {
        [labels.swarm]: cluster,
        [labels.swarmRole]: role,
        [labels.configHash]: configHash,
      },
    },
  };
}
