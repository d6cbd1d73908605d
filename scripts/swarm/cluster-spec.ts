/**
 * The test Swarm as data: names, roles and 127.0.0.1 ports of everything `npm run swarm:up`
 * creates, derived from three options. Pure, so the layout is unit tested and documented once.
 *
 * Ports, from the port base B (default 23750), all on 127.0.0.1 of this machine:
 *   B            the registry (push here from this machine's engine: 127.0.0.0/8 needs no TLS)
 *   B+1 .. B+N   node n's engine API (node 1 is the manager: DOCKER_HOST=tcp://127.0.0.1:B+1)
 *   B+10n .. +9  node n's ports 30000-30009, where services publish in host mode
 * The default base sits below the kernel's ephemeral range (32768-60999), so the free ports
 * tests take never collide with a running cluster.
 */
import { SetupError } from '../standin-images.js';

export interface ClusterOptions {
  /** Cluster name: prefix of every container, network and volume. @default 'esteps-swarm' */
  readonly name: string;
  /** Number of engines; node 1 is the manager, the others workers. @default 3 */
  readonly nodes: number;
  /** First 127.0.0.1 port of the cluster's block of 10 * (nodes + 1). @default 23750 */
  readonly portBase: number;
}

export const defaultClusterOptions: ClusterOptions = {
  name: 'esteps-swarm',
  nodes: 3,
  portBase: 23750,
};

/** Ports every node offers for host-mode publishing, the same on every node. */
export const nodeServicePorts = { first: 30000, count: 10 } as const;
/** Port of each node's engine API, and of the registry, inside the cluster network. */
export const engineApiPort = 2375;
export const registryPort = 5000;
/** Most nodes a cluster may have: node n's ports are B+n and B+10n onwards. */
export const maxNodes = 9;

export interface PortMapping {
  /** Port on the node (what a service publishes in host mode). */
  readonly node: number;
  /** The port on 127.0.0.1 of this machine that reaches it. */
  readonly host: number;
}

export type NodeRole = 'manager' | 'worker';

export interface NodeSpec {
  /** From 1; node 1 is the manager. */
  readonly index: number;
  /** Container name, and the node's hostname in the Swarm. */
  readonly name: string;
  readonly role: NodeRole;
  /** 127.0.0.1 port of the node's engine API. */
  readonly apiHostPort: number;
  readonly ports: readonly PortMapping[];
  /** Named volume holding the node's /var/lib/docker: kept when its container is recreated. */
  readonly volume: string;
  /** Offset of the node's address in the cluster network (pinned, so restarts keep it). */
  readonly addressOffset: number;
}

export interface RegistrySpec {
  readonly name: string;
  /** The address nodes pull from and the manager pushes to: `<name>:5000`. */
  readonly address: string;
  /** 127.0.0.1 port: this machine's engine pushes to `127.0.0.1:<hostPort>/...`. */
  readonly hostPort: number;
  /** Named volume holding the registry's storage. */
  readonly volume: string;
  readonly addressOffset: number;
}

export interface ClusterSpec {
  readonly name: string;
  /** The user bridge network every node and the registry sit on. */
  readonly network: string;
  readonly registry: RegistrySpec;
  readonly nodes: readonly NodeSpec[];
}

/** Validates the options and lays the cluster out. Throws SetupError on bad options. */
export function clusterSpec(options: ClusterOptions): ClusterSpec {
  const { name, nodes, portBase } = options;
  const problems: string[] = [];
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(name)) {
    problems.push(`cluster name "${name}" must be 1-40 of a-z, 0-9 and "-", not starting with "-"`);
  }
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > maxNodes) {
    problems.push(`--nodes ${nodes} must be a whole number from 1 to ${maxNodes}`);
  }
  const lastPort = portBase + 10 * nodes + nodeServicePorts.count - 1;
  if (!Number.isInteger(portBase) || portBase < 1024 || lastPort > 65535) {
    problems.push(
      `--port-base ${portBase} must leave ports ${portBase}-${lastPort} within 1024-65535`,
    );
  }
  if (problems.length > 0) {
    throw new SetupError(
      `invalid test Swarm options: ${problems.join('; ')}`,
      'fix the options (npm run swarm:up -- --help), then rerun npm run swarm:up',
      'OPTIONS_INVALID',
    );
  }
  return {
    name,
    network: name,
    registry: {
      name: `${name}-registry`,
      address: `${name}-registry:${registryPort}`,
      hostPort: portBase,
      volume: `${name}-registry`,
      addressOffset: 10,
    },
    nodes: Array.from({ length: nodes }, (_, i) => nodeSpec(name, portBase, i + 1)),
  };
}

function nodeSpec(cluster: string, portBase: number, index: number): NodeSpec {
  const role: NodeRole = index === 1 ? 'manager' : 'worker';
  const firstHostPort = portBase + 10 * index;
  const name = role === 'manager' ? `${cluster}-manager-1` : `${cluster}-worker-${index - 1}`;
  return {
    index,
    name,
    role,
    apiHostPort: portBase + index,
    ports: Array.from({ length: nodeServicePorts.count }, (_, k) => ({
      node: nodeServicePorts.first + k,
      host: firstHostPort + k,
    })),
    volume: `${name}-data`,
    addressOffset: 10 + index,
  };
}

/** The address `offset` hosts into an IPv4 subnet: ('192.168.0.0/20', 11) -> 192.168.0.11. */
export function addressInSubnet(subnet: string, offset: number): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  if (!m) throw new Error(`not an IPv4 subnet: ${subnet}`);
  const bits = Number(m[5]);
  const base = m.slice(1, 5).reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** (32 - bits);
  if (offset <= 0 || offset >= size - 1) {
    throw new Error(`subnet ${subnet} has no host number ${offset}`);
  }
  const value = base - (base % size) + offset;
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}
