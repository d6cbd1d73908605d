import {
  type EdgeClusterSpec,
  type EdgeHealthCheckSpec,
  type EdgeRouteSpec,
  type EdgeSpec,
  edgeDefaults,
  envoyConfigPath,
} from './edge-model.js';
import {
  duration,
  envoyTypes,
  type JsonObject,
  type JsonValue,
  stdoutAccessLog,
  typeUrl,
} from './render-envoy-parts.js';
import { tcpListener } from './render-envoy-tcp.js';

export { duration, envoyTypes, type JsonObject, type JsonValue } from './render-envoy-parts.js';

/** Envoy's own `dns_refresh_rate` when none is given. */
const envoyDnsRefreshMs = 5000;

/**
 * Envoy's v3 bootstrap for an edge: plain data with sorted keys and no `undefined`, in
 * Envoy's own field names. Total: any spec renders; `checkEnvoyBootstrap()` says what is
 * wrong with the result.
 */
export function renderEnvoyBootstrap(spec: EdgeSpec): JsonObject {
  const name = spec.name ?? edgeDefaults.name;
  return sortKeys({
    node: { id: name, cluster: name },
    admin: {
      address: socketAddress('127.0.0.1', spec.admin?.port ?? edgeDefaults.adminPort),
    },
    static_resources: {
      // An HTTP listener for the routes, if any; one on loopback per TCP proxy.
      listeners: [
        ...(spec.routes.length > 0 ? [listener(spec, name)] : []),
        ...(spec.tcpProxies ?? []).map((p) =>
          tcpListener(p, spec.accessLog ?? edgeDefaults.accessLog),
        ),
      ],
      clusters: Object.entries(spec.clusters)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([clusterName, cluster]) => clusterOf(clusterName, cluster)),
    },
  }) as JsonObject;
}

/**
 * The command that makes Envoy check a configuration without serving it (it exits 0 and prints
 * "configuration '...' OK", or exits 1 naming the problem). For the engine to run in the edge
 * image, where that image contains Envoy.
 */
export function envoyValidateCommand(configPath: string = envoyConfigPath): readonly string[] {
  return ['envoy', '--mode', 'validate', '--config-path', configPath, '--log-level', 'warn'];
}

/** The command that runs Envoy on that configuration. */
export function envoyRunCommand(configPath: string = envoyConfigPath): readonly string[] {
  return ['envoy', '--config-path', configPath, '--log-level', 'info'];
}

function listener(spec: EdgeSpec, name: string): JsonValue {
  const l = spec.listener ?? {};
  return {
    name: 'edge_http',
    address: socketAddress(
      l.address ?? edgeDefaults.listenerAddress,
      l.port ?? edgeDefaults.listenerPort,
    ),
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: httpConnectionManager(spec, name),
          },
        ],
      },
    ],
  };
}

/**
 * The HTTP side. Besides the routes, what Envoy's edge best practices ask of a proxy that
 * faces clients: it is the edge (use_remote_address), paths are normalised before routing,
 * headers with underscores are refused, and slow clients are timed out.
 */
function httpConnectionManager(spec: EdgeSpec, name: string): JsonObject {
  const l = spec.listener ?? {};
  const accessLog = spec.accessLog ?? edgeDefaults.accessLog;
  return {
    '@type': typeUrl(envoyTypes.httpConnectionManager),
    stat_prefix: name,
    codec_type: 'AUTO',
    use_remote_address: true,
    normalize_path: true,
    merge_slashes: true,
    path_with_escaped_slashes_action: 'UNESCAPE_AND_REDIRECT',
    common_http_protocol_options: {
      headers_with_underscores_action: 'REJECT_REQUEST',
      idle_timeout: duration(l.idleTimeoutMs ?? edgeDefaults.idleTimeoutMs),
    },
    request_headers_timeout: duration(
      l.requestHeadersTimeoutMs ?? edgeDefaults.requestHeadersTimeoutMs,
    ),
    stream_idle_timeout: duration(l.streamIdleTimeoutMs ?? edgeDefaults.streamIdleTimeoutMs),
    access_log: accessLog === 'off' ? undefined : [stdoutAccessLog(accessLog)],
    route_config: {
      name: 'edge_routes',
      virtual_hosts: [{ name: 'edge', domains: ['*'], routes: spec.routes.map(route) }],
    },
    http_filters: [
      { name: 'envoy.filters.http.router', typed_config: { '@type': typeUrl(envoyTypes.router) } },
    ],
  } as JsonObject;
}

function route(r: EdgeRouteSpec): JsonValue {
  const retry = r.retry === undefined ? {} : r.retry;
  return {
    match: r.pathPrefix === '/' ? { prefix: '/' } : { path_separated_prefix: r.pathPrefix },
    route: {
      cluster: r.cluster,
      prefix_rewrite: r.prefixRewrite,
      timeout: duration(r.timeoutMs ?? edgeDefaults.routeTimeoutMs),
      retry_policy:
        retry === false
          ? undefined
          : {
              retry_on: (retry.on ?? edgeDefaults.retryOn).join(','),
              num_retries: retry.attempts ?? edgeDefaults.retryAttempts,
              per_try_timeout:
                retry.perTryTimeoutMs === undefined ? undefined : duration(retry.perTryTimeoutMs),
              // Retry on another replica where there is one.
              retry_host_predicate: [
                {
                  name: 'envoy.retry_host_predicates.previous_hosts',
                  typed_config: { '@type': typeUrl(envoyTypes.previousHosts) },
                },
              ],
              host_selection_retry_max_attempts: 3,
            },
    },
  } as JsonObject;
}

function clusterOf(name: string, c: EdgeClusterSpec): JsonValue {
  return {
    name,
    type: 'STRICT_DNS',
    connect_timeout: duration(c.connectTimeoutMs ?? edgeDefaults.connectTimeoutMs),
    lb_policy: 'ROUND_ROBIN',
    // Docker's networks here are IPv4: no AAAA lookups that can only fail.
    dns_lookup_family: 'V4_ONLY',
    // Envoy's default is ours (5 s). Written only when it differs: Envoy's API deprecates the
    // field in favour of the DNS cluster extension, which the Envoy 1.32 images lack.
    dns_refresh_rate:
      (c.dnsRefreshMs ?? envoyDnsRefreshMs) === envoyDnsRefreshMs
        ? undefined
        : duration(c.dnsRefreshMs!),
    load_assignment: {
      cluster_name: name,
      endpoints: [
        { lb_endpoints: [{ endpoint: { address: socketAddress(c.host ?? name, c.port) } }] },
      ],
    },
    health_checks: c.healthCheck ? [healthCheck(c.healthCheck)] : undefined,
  } as JsonObject;
}

function healthCheck(h: EdgeHealthCheckSpec): JsonValue {
  const interval = duration(h.intervalMs ?? edgeDefaults.healthIntervalMs);
  const receive = Object.entries(h.expectJson ?? {}).map(([key, value]) => ({
    text: Buffer.from(`${JSON.stringify(key)}:${JSON.stringify(value)}`).toString('hex'),
  }));
  return {
    timeout: duration(h.timeoutMs ?? edgeDefaults.healthTimeoutMs),
    interval,
    // Envoy checks a cluster that has had no traffic yet only once a minute by default: a
    // fresh stack would keep a host it saw failing at start-up out for that long.
    no_traffic_interval: interval,
    unhealthy_threshold: h.unhealthyThreshold ?? edgeDefaults.unhealthyThreshold,
    healthy_threshold: h.healthyThreshold ?? edgeDefaults.healthyThreshold,
    http_health_check: { path: h.path, receive: receive.length > 0 ? receive : undefined },
  } as JsonObject;
}

function socketAddress(address: string, port: number): JsonObject {
  return { socket_address: { address, port_value: port } };
}

/** A copy with object keys sorted and `undefined` members left out; arrays keep their order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) out[key] = sortKeys(member);
    }
    return out;
  }
  return value;
}
