import { isIP } from 'node:net';
import { didYouMean } from '../validate/suggest.js';
import { childPath, type EnvoyProblem, indexPath, isObject } from './envoy-paths.js';

/** A value in the configuration with its path. */
interface Node {
  readonly value: unknown;
  readonly path: string;
}

const hcmType = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const routerType = 'envoy.extensions.filters.http.router.v3.Router';

/** The `retry_on` conditions Envoy knows (HTTP and gRPC). */
export const retryConditions = [
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

/**
 * What the API's types cannot say, checked across the configuration: every route's cluster
 * exists, names are unique, the router is the last HTTP filter and the connection manager the
 * last network filter, a STATIC cluster has IP addresses, no two listeners share a port, and
 * esteps' own rule that the admin interface listens on loopback only. Reads the configuration
 * loosely (snake_case or lowerCamelCase keys, anything missing skipped): its types are the
 * decoder's business.
 */
export function checkEnvoyReferences(bootstrap: unknown): EnvoyProblem[] {
  const problems: EnvoyProblem[] = [];
  const root: Node = { value: bootstrap, path: '' };
  const staticResources = member(root, 'static_resources');
  const clusterNames = checkClusters(items(member(staticResources, 'clusters')), problems);
  const clustersKnown = member(member(root, 'dynamic_resources'), 'cds_config') === undefined;
  const sockets: NamedSocket[] = [];
  const listenerNames = new Map<string, string>();
  for (const listener of items(member(staticResources, 'listeners'))) {
    unique(member(listener, 'name'), listenerNames, 'listener', problems);
    const socket = socketOf(member(listener, 'address'));
    if (socket) sockets.push({ ...socket, what: `the listener at ${listener.path}` });
    for (const chain of items(member(listener, 'filter_chains'))) {
      const filters = items(member(chain, 'filters'));
      filters.forEach((filter, i) => {
        const config = member(filter, 'typed_config');
        checkCategory(config, 'network filter', problems);
        if (typeName(config) !== hcmType) return;
        if (i !== filters.length - 1) {
          problems.push({
            path: filter.path,
            message:
              'the HTTP connection manager must be the last network filter: it takes the connection over',
          });
        }
        checkHttpConnectionManager(config!, clustersKnown ? clusterNames : undefined, problems);
      });
    }
  }
  checkAdmin(member(root, 'admin'), sockets, problems);
  checkPorts(sockets, problems);
  return problems;
}

function checkClusters(
  clusters: readonly Node[],
  problems: EnvoyProblem[],
): ReadonlyMap<string, string> {
  const names = new Map<string, string>();
  for (const cluster of clusters) {
    unique(member(cluster, 'name'), names, 'cluster', problems);
    const type = member(cluster, 'type')?.value ?? 'STATIC';
    if (member(cluster, 'cluster_type') || (type !== 'STATIC' && type !== 'LOGICAL_DNS')) continue;
    const endpoints = items(member(member(cluster, 'load_assignment'), 'endpoints')).flatMap((e) =>
      items(member(e, 'lb_endpoints')),
    );
    if (type === 'LOGICAL_DNS' && endpoints.length > 1) {
      problems.push({
        path: childPath(cluster.path, 'load_assignment'),
        message: `a LOGICAL_DNS cluster takes exactly one endpoint, not ${endpoints.length}: use STRICT_DNS for several`,
      });
    }
    if (type !== 'STATIC') continue;
    for (const endpoint of endpoints) {
      const address = member(
        member(member(member(endpoint, 'endpoint'), 'address'), 'socket_address'),
        'address',
      );
      if (typeof address?.value === 'string' && isIP(address.value) === 0) {
        problems.push({
          path: address.path,
          message: `${JSON.stringify(address.value)} is not an IP address, and a STATIC cluster takes IP addresses only: give the cluster type STRICT_DNS to find it by DNS`,
        });
      }
    }
  }
  return names;
}

function checkHttpConnectionManager(
  hcm: Node,
  clusters: ReadonlyMap<string, string> | undefined,
  problems: EnvoyProblem[],
): void {
  const domains = new Map<string, string>();
  for (const host of items(member(member(hcm, 'route_config'), 'virtual_hosts'))) {
    for (const domain of items(member(host, 'domains')))
      unique(domain, domains, 'domain', problems);
    for (const route of items(member(host, 'routes'))) {
      const action = member(route, 'route');
      const targets = [
        member(action, 'cluster'),
        ...items(member(member(action, 'weighted_clusters'), 'clusters')).map((c) =>
          member(c, 'name'),
        ),
        ...items(member(action, 'request_mirror_policies')).map((m) => member(m, 'cluster')),
      ];
      for (const target of targets) {
        if (clusters && typeof target?.value === 'string' && !clusters.has(target.value)) {
          problems.push({ path: target.path, message: missingCluster(target.value, clusters) });
        }
      }
      const retryPolicy = member(action, 'retry_policy');
      for (const predicate of items(member(retryPolicy, 'retry_host_predicate'))) {
        checkCategory(member(predicate, 'typed_config'), 'retry host predicate', problems);
      }
      const retryOn = member(retryPolicy, 'retry_on');
      if (typeof retryOn?.value === 'string') checkRetryOn(retryOn.value, retryOn.path, problems);
    }
  }
  for (const log of items(member(hcm, 'access_log'))) {
    checkCategory(member(log, 'typed_config'), 'access logger', problems);
  }
  const filters = member(hcm, 'http_filters');
  const list = items(filters);
  for (const filter of list) checkCategory(member(filter, 'typed_config'), 'HTTP filter', problems);
  const routers = list.filter(
    (f) =>
      typeName(member(f, 'typed_config')) === routerType ||
      member(f, 'name')?.value === 'envoy.filters.http.router',
  );
  if (filters && routers.length === 0) {
    problems.push({
      path: filters.path,
      message: `needs the router (${routerType}) as its last filter: without it no request reaches a cluster`,
    });
  }
  for (const router of routers) {
    if (router !== list[list.length - 1]) {
      problems.push({
        path: router.path,
        message: `the router must be the last HTTP filter: it ends the chain, so ${list.length - 1 - list.indexOf(router)} filter(s) after it would never run`,
      });
    }
  }
}

/** Where a `typed_config` sits decides which kind of extension Envoy looks for there. */
const categories = {
  'network filter': 'envoy.extensions.filters.network.',
  'HTTP filter': 'envoy.extensions.filters.http.',
  'access logger': 'envoy.extensions.access_loggers.',
  'retry host predicate': 'envoy.extensions.retry.host.',
} as const;

function checkCategory(
  config: Node | undefined,
  what: keyof typeof categories,
  problems: EnvoyProblem[],
): void {
  const type = typeName(config);
  if (type === undefined || type.startsWith(categories[what])) return;
  problems.push({
    path: childPath(config!.path, '@type'),
    message: `${type} is no ${what}: Envoy finds none of that type here (${categories[what]}*)`,
  });
}

function missingCluster(name: string, clusters: ReadonlyMap<string, string>): string {
  const suggestion = didYouMean(name, clusters.keys());
  if (suggestion) return `no cluster ${JSON.stringify(name)}${suggestion}`;
  const known = [...clusters.keys()].map((c) => JSON.stringify(c)).join(', ');
  return `no cluster ${JSON.stringify(name)} (${known ? `clusters: ${known}` : 'there are no clusters'})`;
}

function checkRetryOn(value: string, path: string, problems: EnvoyProblem[]): void {
  for (const condition of value.split(',').map((c) => c.trim())) {
    if (!(retryConditions as readonly string[]).includes(condition)) {
      problems.push({
        path,
        message: `unknown retry condition ${JSON.stringify(condition)}${didYouMean(condition, retryConditions) || ` (Envoy knows ${retryConditions.join(', ')})`}`,
      });
    }
  }
}

/** esteps' rule: the admin interface can stop Envoy and change what it serves. */
function checkAdmin(
  admin: Node | undefined,
  sockets: NamedSocket[],
  problems: EnvoyProblem[],
): void {
  const address = member(admin, 'address');
  if (!address || member(address, 'pipe')) return;
  const socket = socketOf(address);
  if (!socket) return;
  if (!isLoopback(socket.address)) {
    problems.push({
      path: socket.addressPath,
      message: `the admin interface must listen on the container's loopback only (127.0.0.1), not ${JSON.stringify(socket.address)}: it can stop Envoy and change what it serves`,
    });
  }
  sockets.push({ ...socket, what: 'the admin interface' });
}

function checkPorts(sockets: readonly NamedSocket[], problems: EnvoyProblem[]): void {
  sockets.forEach((socket, i) => {
    const earlier = sockets
      .slice(0, i)
      .find(
        (s) =>
          s.port === socket.port &&
          (s.address === socket.address || isAny(s.address) || isAny(socket.address)),
      );
    if (earlier) {
      problems.push({
        path: socket.portPath,
        message: `port ${socket.port} is already taken by ${earlier.what}`,
      });
    }
  });
}

/** A listening socket, and where its address and port are written. */
type NamedSocket = Socket & { readonly what: string };

interface Socket {
  readonly address: string;
  readonly port: number;
  readonly addressPath: string;
  readonly portPath: string;
}

function socketOf(address: Node | undefined): Socket | undefined {
  const socket = member(address, 'socket_address');
  const host = member(socket, 'address');
  const port = member(socket, 'port_value');
  if (typeof host?.value !== 'string' || typeof port?.value !== 'number') return undefined;
  return { address: host.value, port: port.value, addressPath: host.path, portPath: port.path };
}

const isAny = (address: string) => address === '0.0.0.0' || address === '::';
const isLoopback = (address: string) =>
  (isIP(address) === 4 && address.startsWith('127.')) || address === '::1';

/** Reports a second use of a name that must be unique. */
function unique(
  node: Node | undefined,
  seen: Map<string, string>,
  what: string,
  problems: EnvoyProblem[],
): void {
  if (typeof node?.value !== 'string') return;
  const first = seen.get(node.value);
  if (first !== undefined) {
    problems.push({
      path: node.path,
      message: `another ${what} is also called ${JSON.stringify(node.value)} (${first})`,
    });
  } else {
    seen.set(node.value, node.path);
  }
}

/** A member by its proto name or its JSON name, as the decoder accepts both. */
function member(node: Node | undefined, protoName: string): Node | undefined {
  if (!node || !isObject(node.value)) return undefined;
  const jsonName = protoName.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  for (const key of [protoName, jsonName]) {
    if (Object.hasOwn(node.value, key) && node.value[key] !== null) {
      return { value: node.value[key], path: childPath(node.path, key) };
    }
  }
  return undefined;
}

function items(node: Node | undefined): Node[] {
  return node && Array.isArray(node.value)
    ? node.value.map((value, i) => ({ value, path: indexPath(node.path, i) }))
    : [];
}

function typeName(config: Node | undefined): string | undefined {
  const url = isObject(config?.value) ? config.value['@type'] : undefined;
  return typeof url === 'string' ? url.slice(url.lastIndexOf('/') + 1) : undefined;
}
