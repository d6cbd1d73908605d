import { isIP } from 'node:net';
import { at, enumName, items, member, type Node, text, typed } from './envoy-config-walk.js';
import { childPath, type EnvoyProblem } from './envoy-paths.js';
import { startupProblem } from './startup-checks.js';

/** Cluster types (extensions) that bring their own load balancer. */
const clusterProvided = new Set(
  [
    'aggregate.v3.ClusterConfig',
    'dynamic_forward_proxy.v3.ClusterConfig',
    'redis.v3.RedisClusterConfig',
  ].map((t) => `envoy.extensions.clusters.${t}`),
);
const clusterProvidedNames = new Set([
  'envoy.clusters.aggregate',
  'envoy.clusters.dynamic_forward_proxy',
  'envoy.clusters.redis',
]);

const typeNames = ['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'];

/** A static cluster's name, and whether its endpoints come from EDS. */
export interface StaticCluster {
  readonly path: string;
  readonly eds: boolean;
}

/** Envoy's checks of each static cluster; returns them by name. */
export function checkClusters(root: Node, problems: EnvoyProblem[]): Map<string, StaticCluster> {
  const names = new Map<string, StaticCluster>();
  for (const cluster of items(at(root, 'static_resources', 'clusters'))) {
    const nameNode = member(cluster, 'name');
    const name = text(nameNode);
    const custom = member(cluster, 'cluster_type');
    const declared = enumName(member(cluster, 'type'));
    const type = custom
      ? undefined
      : typeof declared === 'number'
        ? typeNames[declared]
        : (declared ?? 'STATIC');
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined) {
        problems.push(
          startupProblem(
            'cluster-name-unique',
            nameNode!.path,
            `another cluster is also called ${JSON.stringify(name)} (${first.path}): Envoy refuses duplicate clusters`,
          ),
        );
      } else names.set(name, { path: nameNode!.path, eds: type === 'EDS' });
    }
    checkLbPolicy(cluster, type, custom, problems);
    checkEndpoints(cluster, type, problems);
  }
  return names;
}

function checkLbPolicy(
  cluster: Node,
  type: string | undefined,
  custom: Node | undefined,
  problems: EnvoyProblem[],
): void {
  const policyNode = member(cluster, 'lb_policy');
  const declared = enumName(policyNode);
  const policy =
    declared === 6
      ? 'CLUSTER_PROVIDED'
      : typeof declared === 'string'
        ? declared
        : declared === undefined
          ? 'ROUND_ROBIN'
          : String(declared);
  const provides =
    type === 'ORIGINAL_DST' ||
    (custom !== undefined &&
      (clusterProvided.has(typed(member(custom, 'typed_config'))?.type ?? '') ||
        clusterProvidedNames.has(text(member(custom, 'name')) ?? '')));
  const where = policyNode?.path ?? cluster.path;
  if (member(cluster, 'load_balancing_policy')) return;
  if (type === 'ORIGINAL_DST' && policy !== 'CLUSTER_PROVIDED') {
    problems.push(
      startupProblem(
        'cluster-lb-policy',
        where,
        `an ORIGINAL_DST cluster balances load itself: lb_policy must be CLUSTER_PROVIDED, not ${policy}`,
        'CLUSTER_PROVIDED',
      ),
    );
  } else if (provides && policy !== 'CLUSTER_PROVIDED') {
    problems.push(
      startupProblem(
        'cluster-lb-policy',
        where,
        `this cluster type brings its own load balancer: lb_policy must be CLUSTER_PROVIDED, not ${policy}`,
        'CLUSTER_PROVIDED',
      ),
    );
  } else if (!provides && policy === 'CLUSTER_PROVIDED' && (type !== undefined || custom)) {
    const kind = type ?? text(member(custom, 'name')) ?? 'this cluster type';
    if (type !== undefined || knownWithoutBalancer(custom)) {
      problems.push(
        startupProblem(
          'cluster-lb-policy',
          where,
          `a ${kind} cluster provides no load balancer: CLUSTER_PROVIDED needs ORIGINAL_DST or a cluster type that brings one (aggregate, dynamic forward proxy, Redis)`,
        ),
      );
    }
  }
  if (policy === 'CLUSTER_PROVIDED' && member(cluster, 'lb_subset_config')) {
    problems.push(
      startupProblem(
        'cluster-lb-policy',
        childPath(cluster.path, 'lb_subset_config'),
        'cannot be combined with lb_policy CLUSTER_PROVIDED',
      ),
    );
  }
  const hashing = at(
    cluster,
    'common_lb_config',
    'consistent_hashing_lb_config',
    'use_hostname_for_hashing',
  );
  if (hashing?.value === true && type !== 'STRICT_DNS') {
    problems.push(
      startupProblem(
        'hostname-hashing',
        hashing.path,
        `hashing on host names needs a STRICT_DNS cluster, not ${type ?? 'a custom cluster type'}`,
      ),
    );
  }
}

/** The DNS cluster extension is known to provide no balancer; other custom types may. */
function knownWithoutBalancer(custom: Node | undefined): boolean {
  return (
    typed(member(custom, 'typed_config'))?.type === 'envoy.extensions.clusters.dns.v3.DnsCluster'
  );
}

function checkEndpoints(cluster: Node, type: string | undefined, problems: EnvoyProblem[]): void {
  const assignment = member(cluster, 'load_assignment');
  const localities = items(member(assignment, 'endpoints'));
  const endpoints = localities.flatMap((e) => items(member(e, 'lb_endpoints')));
  if (type === 'LOGICAL_DNS' && (localities.length !== 1 || endpoints.length !== 1)) {
    problems.push(
      startupProblem(
        'logical-dns-endpoints',
        assignment?.path ?? cluster.path,
        `a LOGICAL_DNS cluster takes exactly one locality with one endpoint, not ${localities.length} with ${endpoints.length}: use STRICT_DNS for several`,
      ),
    );
  }
  if (type === 'ORIGINAL_DST' && assignment) {
    problems.push(
      startupProblem(
        'original-dst-endpoints',
        assignment.path,
        'an ORIGINAL_DST cluster sends each connection where it was going: it takes no endpoints',
      ),
    );
  }
  if (type === 'EDS' && !member(cluster, 'eds_cluster_config')) {
    problems.push(
      startupProblem(
        'eds-config',
        cluster.path,
        'an EDS cluster needs eds_cluster_config: where its endpoints come from',
      ),
    );
  }
  if (type !== 'STATIC') return;
  for (const endpoint of endpoints) {
    const socket = at(endpoint, 'endpoint', 'address', 'socket_address');
    const address = member(socket, 'address');
    if (
      typeof address?.value === 'string' &&
      isIP(address.value) === 0 &&
      !member(socket, 'resolver_name')
    ) {
      problems.push(
        startupProblem(
          'static-endpoint-ip',
          address.path,
          `${JSON.stringify(address.value)} is not an IP address, and a STATIC cluster takes IP addresses only: give the cluster type STRICT_DNS to find it by DNS`,
          'STRICT_DNS',
        ),
      );
    }
  }
}
