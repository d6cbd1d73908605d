import { isIP } from 'node:net';
import { closest } from '../validate/suggest.js';
import { at, enumName, items, member, type Node, text } from './envoy-config-walk.js';
import { childPath, type EnvoyProblem } from './envoy-paths.js';
import { startupProblem } from './startup-checks.js';
import type { StaticCluster } from './startup-clusters.js';
import { checkIp, type Socket, socketOf } from './startup-listeners.js';

type Found = readonly { value: Record<string, unknown>; path: string }[];

/**
 * Every API config source (xDS) is backed by a static, non-EDS cluster, named the way its
 * API type asks: REST one cluster name and no gRPC service, gRPC a gRPC service and no
 * cluster name.
 */
export function checkConfigSources(
  sources: Found,
  clusters: ReadonlyMap<string, StaticCluster>,
  problems: EnvoyProblem[],
): void {
  for (const source of sources) {
    const node: Node = { value: source.value, path: source.path };
    const type = enumName(member(node, 'api_type'));
    const names = items(member(node, 'cluster_names'));
    const services = items(member(node, 'grpc_services'));
    if (type === 'AGGREGATED_GRPC' || type === 'AGGREGATED_DELTA_GRPC') continue;
    const grpc = type === 'GRPC' || type === 'DELTA_GRPC' || type === 2 || type === 3;
    const rest = type === 'REST' || type === 1;
    if (grpc && names.length > 0) {
      problems.push(
        startupProblem(
          'config-source',
          childPath(node.path, 'cluster_names'),
          'a gRPC config source names its cluster in grpc_services (envoy_grpc.cluster_name), not in cluster_names',
        ),
      );
    } else if (grpc && services.length === 0) {
      problems.push(
        startupProblem(
          'config-source',
          node.path,
          'a gRPC config source needs a gRPC service (grpc_services)',
        ),
      );
    } else if (rest && names.length !== 1) {
      problems.push(
        startupProblem(
          'config-source',
          node.path,
          `a REST config source names exactly one cluster (cluster_names), not ${names.length}`,
        ),
      );
    } else if (rest && services.length > 0) {
      problems.push(
        startupProblem(
          'config-source',
          childPath(node.path, 'grpc_services'),
          'a REST config source takes no grpc_services',
        ),
      );
    }
    const targets = [...names, ...services.map((s) => at(s, 'envoy_grpc', 'cluster_name'))];
    for (const target of targets) {
      const name = text(target);
      if (name === undefined) continue;
      const cluster = clusters.get(name);
      if (!cluster || cluster.eds) {
        const guess = cluster ? undefined : closest(name, clusters.keys());
        problems.push(
          startupProblem(
            'config-source',
            target!.path,
            cluster
              ? `${JSON.stringify(name)} is an EDS cluster: a config source needs a static cluster that is not EDS`
              : `no static cluster ${JSON.stringify(name)}: a config source needs one${guess ? `; did you mean "${guess}"?` : ''}`,
            guess,
          ),
        );
      }
    }
  }
}

/** gRPC services of filters, loggers and tracers name a static cluster (a warning). */
export function checkGrpcServices(
  services: Found,
  configSources: Found,
  clusters: ReadonlyMap<string, StaticCluster>,
  dynamic: boolean,
  problems: EnvoyProblem[],
): void {
  if (dynamic) return;
  const inSources = new Set(configSources.map((s) => s.path));
  for (const service of services) {
    if ([...inSources].some((p) => service.path.startsWith(`${p}.`))) continue;
    const target = at({ value: service.value, path: service.path }, 'envoy_grpc', 'cluster_name');
    const name = text(target);
    if (name === undefined || clusters.has(name)) continue;
    const guess = closest(name, clusters.keys());
    problems.push(
      startupProblem(
        'grpc-cluster',
        target!.path,
        `no static cluster ${JSON.stringify(name)}${guess ? `; did you mean "${guess}"?` : ''}: the gRPC calls cannot be made`,
        guess,
      ),
    );
  }
}

/** Layer names of `layered_runtime` are unique. */
export function checkRuntimeLayers(root: Node, problems: EnvoyProblem[]): void {
  const seen = new Map<string, string>();
  for (const layer of items(at(root, 'layered_runtime', 'layers'))) {
    const name = member(layer, 'name');
    const value = text(name);
    if (value === undefined) continue;
    const first = seen.get(value);
    if (first !== undefined) {
      problems.push(
        startupProblem(
          'runtime-layers-unique',
          name!.path,
          `another runtime layer is also called ${JSON.stringify(value)} (${first})`,
        ),
      );
    } else seen.set(value, name!.path);
  }
}

/** xDS needs the node's identity, from the bootstrap or the command line. */
export function checkNodeIdentity(root: Node, problems: EnvoyProblem[]): void {
  const dynamic = member(root, 'dynamic_resources');
  const usesXds = ['lds_config', 'cds_config', 'ads_config'].some((k) => member(dynamic, k));
  if (!usesXds) return;
  const node = member(root, 'node');
  const missing = ['id', 'cluster'].filter((k) => !text(member(node, k)));
  if (missing.length > 0) {
    problems.push(
      startupProblem(
        'node-identity',
        node?.path ?? 'node',
        `has no ${missing.join(' or ')}: Envoy refuses xDS without them unless its command line gives them (--service-node, --service-cluster)`,
      ),
    );
  }
}

/** The admin interface: an IP address, and (esteps' policy) on loopback only. */
export function checkAdmin(
  root: Node,
  policy: boolean,
  problems: EnvoyProblem[],
): Socket | undefined {
  const address = at(root, 'admin', 'address');
  if (!address || member(address, 'pipe')) return undefined;
  const socket = socketOf(address, 'the admin interface');
  checkIp(at(address, 'socket_address', 'address'), member(address, 'socket_address'), problems);
  if (policy && socket && !isLoopback(socket.address)) {
    problems.push(
      startupProblem(
        'admin-loopback',
        socket.addressPath,
        `the admin interface must listen on the container's loopback only (127.0.0.1), not ${JSON.stringify(socket.address)}: it can stop Envoy and change what it serves`,
        '127.0.0.1',
      ),
    );
  }
  return socket;
}

const isLoopback = (address: string) =>
  (isIP(address) === 4 && address.startsWith('127.')) || address === '::1';
