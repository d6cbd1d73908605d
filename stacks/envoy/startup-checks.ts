import type { EnvoyProblem } from './envoy-paths.js';

/** One of Envoy's own checks when it loads a configuration, beyond the API's rules. */
export interface StartupCheck {
  /** Where it applies. */
  readonly area: 'any value' | 'listeners' | 'HTTP' | 'clusters' | 'bootstrap' | 'esteps policy';
  /** What it checks, in a sentence. */
  readonly what: string;
  /** What Envoy says (its error message) or does. */
  readonly envoy: string;
  /** A warning: Envoy runs the configuration (the README says why it is reported). */
  readonly warning?: true;
}

/**
 * The start-up checks the checker implements, by id: what Envoy checks when it loads a static
 * bootstrap (in its source: the listener manager, filter chain manager, route table, cluster
 * factories, config source utilities), as far as it can be known without running Envoy. The
 * README's table lists the same, from here.
 */
export const startupChecks = {
  'negative-duration': {
    area: 'any value',
    what: 'No duration is negative, on any field, with or without a rule in the API',
    envoy: 'Expected positive duration',
  },
  'extension-type': {
    area: 'any value',
    what: "A `typed_config` is of the kind of extension its place takes (a network filter among a chain's filters, an HTTP filter in `http_filters`, a transport socket, an access logger, a tracer, a stats sink, a retry predicate, a cluster type)",
    envoy: "Didn't find a registered implementation for '<name>' with type URL: '<type>'",
  },
  'extension-config': {
    area: 'any value',
    what: 'A filter, transport socket, access log, tracer or stats sink has a `typed_config` (or a `config_discovery`, or is optional): Envoy finds extensions by type, not by name',
    envoy: "Didn't find a registered implementation for '<name>' with type URL: ''",
  },
  regex: {
    area: 'any value',
    what: 'A `safe_regex` is a regular expression RE2 takes (balanced, no lookaround, no backreference), and its RE2 program is within `re2.max_program_size.error_level` (100 unless the runtime says otherwise): a lower bound of its size is computed, so only a pattern certainly too big is refused',
    envoy:
      "Invalid regex '<regex>': ...; regex '<regex>' RE2 program size of <n> > max program size of 100 set for the error level threshold",
  },
  'deprecated-disallowed': {
    area: 'any value',
    what: 'A deprecated field or value that Envoy disallows by default is used only with its runtime key `envoy.deprecated_features:<name>` set in `layered_runtime`',
    envoy:
      "Using deprecated option '<name>' ... This configuration will be removed from Envoy soon",
  },
  'tls-server-certificates': {
    area: 'listeners',
    what: 'A downstream (server) TLS context has a certificate to present, from files or inline (`tls_certificates`), SDS or a provider, and does not mix files with SDS',
    envoy: 'No TLS certificates found for server context',
  },
  'listener-address': {
    area: 'listeners',
    what: 'A listener has an address (an internal listener aside)',
    envoy: 'error adding listener: address is necessary',
  },
  'listener-ip': {
    area: 'listeners',
    what: "A listener's and the admin interface's socket address is an IP address: Envoy does not resolve names to listen on",
    envoy: 'malformed IP address: <address>',
  },
  'listener-filter-chains': {
    area: 'listeners',
    what: 'A TCP listener has a filter chain (or a default one)',
    envoy: "error adding listener '<name>': no filter chains specified",
  },
  'filter-chain-match-unique': {
    area: 'listeners',
    what: 'No two filter chains of a listener have the same `filter_chain_match`',
    envoy:
      "error adding listener '<name>': filter chain '<chain>' has the same matching rules defined as '<other>'",
  },
  'server-names-wildcard': {
    area: 'listeners',
    what: 'A wildcard in `server_names` is a whole leading label (`*.example.com`)',
    envoy:
      'error adding listener \'<name>\': partial wildcards are not supported in "server_names"',
  },
  'network-filter-terminal': {
    area: 'listeners',
    what: 'A terminal network filter (HTTP connection manager, TCP proxy, Redis, Thrift, Dubbo, ...) is the last of its chain, and the last one is terminal',
    envoy:
      'Error: terminal filter named <name> of type <type> must be the last filter in a network filter chain',
  },
  'http3-codec': {
    area: 'listeners',
    what: 'An HTTP connection manager with `codec_type: HTTP3` is on a QUIC listener, and a QUIC listener has one',
    envoy: 'HTTP/3 codec configured on non-QUIC listener',
  },
  'socket-unique': {
    area: 'listeners',
    what: 'No two listeners (or a listener and the admin interface) bind the same address and port',
    envoy: "error adding listener: '<name>' has duplicate address '<address>' as existing listener",
  },
  'listener-name-unique': {
    area: 'listeners',
    what: 'No two static listeners have the same name',
    envoy: 'keeps the first listener of a name and ignores the others',
    warning: true,
  },
  'http-filter-terminal': {
    area: 'HTTP',
    what: 'The router (a terminal HTTP filter) is the last HTTP filter and is not disabled, and the last filter is terminal',
    envoy:
      'Error: terminal filter named envoy.filters.http.router of type ... must be the last filter in a http filter chain',
  },
  'upgrade-unique': {
    area: 'HTTP',
    what: 'No two `upgrade_configs` name the same upgrade (case-insensitively)',
    envoy: "Error: multiple upgrade configs with the same name: '<upgrade>'",
  },
  'domain-unique': {
    area: 'HTTP',
    what: 'No two virtual hosts of a route table share a domain, compared case-insensitively, and there is one `*` at most',
    envoy:
      'Only unique values for domains are permitted. Duplicate entry of domain <domain> in route <route>',
  },
  'route-cluster': {
    area: 'HTTP',
    what: "A static route table's routes, weighted clusters and mirror policies name clusters that exist (unless `validate_clusters: false`); with CDS, only a warning",
    envoy: "route: unknown cluster '<name>'",
  },
  'mirror-cluster': {
    area: 'HTTP',
    what: 'A request mirror policy names exactly one of `cluster` and `cluster_header`',
    envoy: 'Exactly one of cluster or cluster_header in request mirror policy need to be specified',
  },
  'weighted-clusters': {
    area: 'HTTP',
    what: "A route's weighted clusters weigh more than 0 together (and add up to `total_weight` when it is set)",
    envoy: 'Sum of weights in the weighted_cluster must be greater than 0',
  },
  'header-mutation': {
    area: 'HTTP',
    what: 'Headers a route table adds or removes are neither pseudo-headers (`:path`) nor `host`',
    envoy: ':-prefixed or host headers may not be modified',
  },
  'direct-response-size': {
    area: 'HTTP',
    what: "A direct response's inline body is within `max_direct_response_body_size_bytes` (4096 by default)",
    envoy: 'response body size is <n> bytes; maximum is 4096',
  },
  'rewrite-conflict': {
    area: 'HTTP',
    what: 'A route rewrites its path one way: not both `prefix_rewrite` and `regex_rewrite`',
    envoy: 'Cannot specify both prefix_rewrite and regex_rewrite',
  },
  'retry-on': {
    area: 'HTTP',
    what: '`retry_on` names retry conditions Envoy knows',
    envoy: 'ignores a condition it does not know: that retry never happens',
    warning: true,
  },
  'cluster-name-unique': {
    area: 'clusters',
    what: 'No two static clusters have the same name',
    envoy: "cluster manager: duplicate cluster '<name>'",
  },
  'cluster-lb-policy': {
    area: 'clusters',
    what: 'The load-balancing policy suits the cluster type: `CLUSTER_PROVIDED` for ORIGINAL_DST and the cluster types that bring their own (aggregate, dynamic forward proxy, Redis), and only for those; no `lb_subset_config` with it',
    envoy:
      "cluster: LB policy ROUND_ROBIN is not valid for Cluster type ORIGINAL_DST. Only 'CLUSTER_PROVIDED' is allowed with cluster type 'ORIGINAL_DST'",
  },
  'logical-dns-endpoints': {
    area: 'clusters',
    what: 'A LOGICAL_DNS cluster has exactly one locality with exactly one endpoint',
    envoy: 'LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint',
  },
  'static-endpoint-ip': {
    area: 'clusters',
    what: "A STATIC cluster's endpoints are IP addresses",
    envoy: 'malformed IP address: <address>',
  },
  'original-dst-endpoints': {
    area: 'clusters',
    what: 'An ORIGINAL_DST cluster has no endpoints of its own',
    envoy: 'ORIGINAL_DST clusters must have no load assignment configured',
  },
  'eds-config': {
    area: 'clusters',
    what: 'An EDS cluster says where its endpoints come from (`eds_cluster_config`)',
    envoy: 'cannot create an EDS cluster without an EDS config',
  },
  'hostname-hashing': {
    area: 'clusters',
    what: 'Consistent hashing on host names (`use_hostname_for_hashing`) is used by STRICT_DNS clusters only',
    envoy: "Cannot use hostname for consistent hashing loadbalancing for cluster of type: '<type>'",
  },
  'config-source': {
    area: 'bootstrap',
    what: 'An API config source (xDS) is backed by a static cluster that is not EDS, named the way its API type asks: REST names one in `cluster_names`, gRPC in `grpc_services` and not in `cluster_names`',
    envoy:
      "<api> must have a statically defined non-EDS cluster: '<name>' does not exist, was added via api, or is an EDS cluster",
  },
  'runtime-layers-unique': {
    area: 'bootstrap',
    what: 'No two layers of `layered_runtime` have the same name',
    envoy: 'Duplicate layer name: <name>',
  },
  'node-identity': {
    area: 'bootstrap',
    what: 'A bootstrap that uses xDS gives `node.id` and `node.cluster`',
    envoy:
      'refuses to start without them unless the command line gives them (--service-node, --service-cluster)',
    warning: true,
  },
  'grpc-cluster': {
    area: 'bootstrap',
    what: 'A gRPC service (`envoy_grpc.cluster_name`) of a filter, logger or tracer names a static cluster',
    envoy: 'refuses it where it creates the client at start-up; else the calls fail',
    warning: true,
  },
  'admin-loopback': {
    area: 'esteps policy',
    what: "The admin interface listens on the container's loopback only (127.0.0.1 or ::1): it can stop Envoy and change what it serves. Applied to the configurations esteps generates, and to others with `--policy`",
    envoy: 'accepts any address',
  },
} as const satisfies Record<string, StartupCheck>;

export type StartupCheckId = keyof typeof startupChecks;

/** A problem a start-up check found: an error, or a warning for the checks that warn. */
export function startupProblem(
  check: StartupCheckId,
  path: string,
  message: string,
  suggestion?: string,
): EnvoyProblem {
  const warns = (startupChecks[check] as StartupCheck).warning === true;
  return {
    path,
    message,
    check,
    ...(warns && { severity: 'warning' as const }),
    ...(suggestion !== undefined && { suggestion }),
  };
}
