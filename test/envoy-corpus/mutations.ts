import {
  builtInClusters,
  camel,
  chains,
  clusterNames,
  clusterRoutes,
  clusters,
  connectionManagers,
  durations,
  endpointAddresses,
  hasCds,
  isObject,
  type Json,
  type JsonObject,
  listeners,
  networkFilters,
  objects,
  routes,
  socketOf,
  sockets,
  staticResources,
  tcpListeners,
  typed,
  typeOf,
  types,
  virtualHosts,
} from './corpus-sites.js';

/**
 * One change to a real configuration, and what Envoy does with the result: refuses it (it
 * does not start; `why` quotes its error) or runs it (`why` says why that form is fine). The
 * verdicts come from Envoy's sources and documentation, never from the checker under test.
 */
export interface Mutation {
  readonly id: string;
  readonly refused: boolean;
  readonly why: string;
  /** Makes the change in place; false when the configuration has no place for it. */
  apply(config: JsonObject): boolean;
}

/** A change to the file's text, for what only YAML can say. */
export interface TextMutation {
  readonly id: string;
  readonly refused: boolean;
  readonly why: string;
  /** The changed text, or undefined when the text has no place for it. */
  apply(text: string): string | undefined;
}

const first = <T>(items: readonly T[]): T | undefined => items[0];
const router = (c: JsonObject) =>
  connectionManagers(c)
    .flatMap((hcm) => objects(hcm.http_filters))
    .find((f) => typeOf(f.typed_config) === types.router);
const routeAction = (c: JsonObject) => first(clusterRoutes(c))?.route as JsonObject | undefined;

/** Sets `key` of the first of `targets`; false when there is none. */
function set(targets: readonly JsonObject[], key: string, value: Json): boolean {
  const target = targets[0];
  if (!target) return false;
  target[key] = value;
  return true;
}

export const refusedMutations: Mutation[] = [
  {
    id: 'misspelt-top-level-key',
    refused: true,
    why: 'static_resource is no field of the Bootstrap: "Protobuf message (type envoy.config.bootstrap.v3.Bootstrap reason INVALID_ARGUMENT: no such field) has unknown fields"',
    apply: (c) => {
      if (!c.static_resources) return false;
      c.static_resource = c.static_resources;
      delete c.static_resources;
      return true;
    },
  },
  {
    id: 'misspelt-cluster-key',
    refused: true,
    why: 'an unknown field of a cluster: unknown fields are refused in a static bootstrap',
    apply: (c) => set(clusters(c), 'conect_timeout', '1s'),
  },
  {
    id: 'unknown-key-in-typed-config',
    refused: true,
    why: 'a typed_config is decoded as its type: an unknown field in it is refused when the extension is built',
    apply: (c) => set(connectionManagers(c), 'stat_prefx', 'x'),
  },
  {
    id: 'unknown-lb-policy',
    refused: true,
    why: "ROUND_ROBBIN is no value of Cluster.LbPolicy: protobuf's JSON parser refuses an unknown enum name",
    apply: (c) => set(clusters(c), 'lb_policy', 'ROUND_ROBBIN'),
  },
  {
    id: 'negative-route-timeout',
    refused: true,
    why: 'route timeout -1s: RouteAction.timeout has no validation rule, but Envoy converts it with DurationUtil and refuses it ("Expected positive duration")',
    apply: (c) => set(objects(routeAction(c)), 'timeout', '-1s'),
  },
  {
    id: 'negative-per-try-timeout',
    refused: true,
    why: 'per_try_timeout -0.5s: "Expected positive duration"',
    apply: (c) =>
      set(objects(routeAction(c)), 'retry_policy', { retry_on: '5xx', per_try_timeout: '-0.5s' }),
  },
  {
    id: 'negative-idle-timeout',
    refused: true,
    why: 'common_http_protocol_options.idle_timeout -3600s: "Expected positive duration"',
    apply: (c) =>
      set(connectionManagers(c), 'common_http_protocol_options', { idle_timeout: '-3600s' }),
  },
  {
    id: 'negative-existing-duration',
    refused: true,
    why: 'a duration the configuration sets, made negative: Envoy validates every Duration of a message ("Expected positive duration")',
    apply: (c) => {
      const site = first(durations(c));
      if (!site) return false;
      site.parent[site.key] = `-${site.parent[site.key]}`;
      return true;
    },
  },
  {
    id: 'listener-without-address',
    refused: true,
    why: 'a listener needs an address to listen on (Envoy: "error adding listener: address is necessary")',
    apply: (c) => {
      const l = first(
        listeners(c).filter((x) => x.address !== undefined && x.internal_listener === undefined),
      );
      if (!l) return false;
      delete l.address;
      return true;
    },
  },
  {
    id: 'listener-without-filter-chains',
    refused: true,
    why: '"error adding listener \'<name>\': no filter chains specified"',
    apply: (c) => {
      const l = first(tcpListeners(c));
      if (!l) return false;
      l.filter_chains = [];
      delete l.default_filter_chain;
      return true;
    },
  },
  {
    id: 'mirror-policy-without-cluster',
    refused: true,
    why: '"Exactly one of cluster or cluster_header in request mirror policy need to be specified"',
    apply: (c) =>
      set(objects(routeAction(c)), 'request_mirror_policies', [
        { runtime_fraction: { default_value: { numerator: 100 } } },
      ]),
  },
  {
    id: 'domain-differing-in-case',
    refused: true,
    why: 'Envoy lower-cases domains and refuses a duplicate: "Only unique values for domains are permitted. Duplicate entry of domain ..."',
    apply: (c) => {
      const host = first(
        virtualHosts(c).filter((v) => Array.isArray(v.domains) && typeof v.domains[0] === 'string'),
      );
      if (!host) return false;
      const domains = host.domains as Json[];
      const domain = domains[0] as string;
      domains.push(
        domain === '*'
          ? '*'
          : domain.toUpperCase() === domain
            ? domain.toLowerCase()
            : domain.toUpperCase(),
      );
      return true;
    },
  },
  {
    id: 'cluster-provided-on-plain-cluster',
    refused: true,
    why: 'a STATIC, STRICT_DNS or LOGICAL_DNS cluster provides no load balancer: "cluster manager: cluster provided LB specified but cluster \'<name>\' did not provide one"',
    apply: (c) =>
      set(
        builtInClusters(c)
          .filter((x) => ['STATIC', 'STRICT_DNS', 'LOGICAL_DNS'].includes(x.type))
          .map((x) => x.cluster),
        'lb_policy',
        'CLUSTER_PROVIDED',
      ),
  },
  {
    id: 'original-dst-with-round-robin',
    refused: true,
    why: "\"cluster: LB policy ROUND_ROBIN is not valid for Cluster type ORIGINAL_DST. Only 'CLUSTER_PROVIDED' is allowed with cluster type 'ORIGINAL_DST'\"",
    apply: (c) => {
      const cl = first(builtInClusters(c))?.cluster;
      if (!cl) return false;
      cl.type = 'ORIGINAL_DST';
      cl.lb_policy = 'ROUND_ROBIN';
      delete cl.load_assignment;
      return true;
    },
  },
  {
    id: 'route-to-unknown-cluster',
    refused: true,
    why: 'a static route table is checked against the clusters (validate_clusters defaults to true): "route: unknown cluster"',
    apply: (c) => {
      const action = routeAction(c);
      if (!action || hasCds(c) || isObject(action) === false) return false;
      action.cluster = `${action.cluster}-missing`;
      return true;
    },
  },
  {
    id: 'duplicate-cluster',
    refused: true,
    why: '"cluster manager: duplicate cluster \'<name>\'"',
    apply: (c) => {
      const all = staticResources(c)?.clusters;
      if (!Array.isArray(all) || !isObject(all[0])) return false;
      all.push(structuredClone(all[0]));
      return true;
    },
  },
  {
    id: 'filter-after-router',
    refused: true,
    why: '"Error: terminal filter named envoy.filters.http.router of type envoy.filters.http.router must be the last filter in a http filter chain"',
    apply: (c) => {
      const hcm = connectionManagers(c).find(
        (h) =>
          Array.isArray(h.http_filters) &&
          objects(h.http_filters).some((f) => typeOf(f.typed_config) === types.router),
      );
      if (!hcm) return false;
      (hcm.http_filters as Json[]).push({
        name: 'envoy.filters.http.cors',
        typed_config: typed(types.cors),
      });
      return true;
    },
  },
  {
    id: 'filter-after-terminal-network-filter',
    refused: true,
    why: '"Error: terminal filter named envoy.filters.network.http_connection_manager ... must be the last filter in a network filter chain"',
    apply: (c) => {
      const site = networkFilters(c).find(({ filter }) =>
        [types.hcm, types.tcpProxy].includes(typeOf(filter.typed_config) ?? ''),
      );
      if (!site) return false;
      site.filters.push({ name: 'envoy.filters.network.echo', typed_config: typed(types.echo) });
      return true;
    },
  },
  {
    id: 'misspelt-type-url',
    refused: true,
    why: 'protobuf resolves "@type" in Envoy\'s type registry: "Invalid type URL, unknown type"',
    apply: (c) => {
      const f = router(c);
      if (!f) return false;
      f.typed_config = typed('envoy.extensions.filters.http.router.v3.Routr');
      return true;
    },
  },
  {
    id: 'wrong-kind-of-extension',
    refused: true,
    why: "no HTTP filter has the type of an access logger: \"Didn't find a registered implementation for 'envoy.filters.http.router' with type URL: '...StdoutAccessLog'\"",
    apply: (c) => {
      const f = router(c);
      if (!f) return false;
      f.typed_config = typed(types.stdout);
      return true;
    },
  },
  {
    id: 'v2-type-url',
    refused: true,
    why: 'Envoy removed the v2 API in 1.18: its types are no longer registered',
    apply: (c) => {
      const f = router(c);
      if (!f) return false;
      f.typed_config = typed('envoy.config.filter.http.router.v2.Router');
      return true;
    },
  },
  {
    id: 'filter-without-typed-config',
    refused: true,
    why: "since Envoy 1.22 extensions are found by type only: \"Didn't find a registered implementation for 'envoy.filters.http.router' with type URL: ''\"",
    apply: (c) => {
      const f = router(c);
      if (!f) return false;
      delete f.typed_config;
      return true;
    },
  },
  {
    id: 'port-out-of-range',
    refused: true,
    why: 'SocketAddress.port_value has the rule lte: 65535',
    apply: (c) => set(sockets(c), 'port_value', 70000),
  },
  {
    id: 'port-not-a-number',
    refused: true,
    why: 'protobuf\'s JSON parser reads an integer from a number or a string of one, not "eighty"',
    apply: (c) => set(sockets(c), 'port_value', 'eighty'),
  },
  {
    id: 'listener-on-a-name',
    refused: true,
    why: 'Envoy listens on IP addresses only: "malformed IP address: localhost"',
    apply: (c) =>
      set(
        sockets(c).filter((s) => s.resolver_name === undefined),
        'address',
        'localhost',
      ),
  },
  {
    id: 'static-cluster-with-hostname',
    refused: true,
    why: 'a STATIC cluster resolves no names: "malformed IP address: example.com"',
    apply: (c) => {
      const cl = first(
        builtInClusters(c).filter((x) => endpointAddresses(x.cluster).length > 0),
      )?.cluster;
      if (!cl) return false;
      cl.type = 'STATIC';
      endpointAddresses(cl)[0]!.address = 'example.com';
      return true;
    },
  },
  {
    id: 'logical-dns-with-two-endpoints',
    refused: true,
    why: '"LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint"',
    apply: (c) => {
      const cl = first(
        builtInClusters(c).filter((x) => endpointAddresses(x.cluster).length > 0),
      )?.cluster;
      const locality = cl && objects((cl.load_assignment as JsonObject).endpoints)[0];
      if (!cl || !locality || !Array.isArray(locality.lb_endpoints)) return false;
      cl.type = 'LOGICAL_DNS';
      locality.lb_endpoints.push(structuredClone(locality.lb_endpoints[0]!));
      return true;
    },
  },
  {
    id: 'duplicate-filter-chain-match',
    refused: true,
    why: "\"error adding listener '<name>': filter chain '' has the same matching rules defined as ''\"",
    apply: (c) => {
      const l = first(
        listeners(c).filter(
          (x) =>
            Array.isArray(x.filter_chains) &&
            x.filter_chains.length > 0 &&
            x.filter_chain_matcher === undefined,
        ),
      );
      if (!l) return false;
      (l.filter_chains as Json[]).push(structuredClone((l.filter_chains as Json[])[0]!));
      return true;
    },
  },
  {
    id: 'partial-wildcard-server-name',
    refused: true,
    why: '"error adding listener \'<name>\': partial wildcards are not supported in \\"server_names\\""',
    apply: (c) => {
      const chain = first(tcpListeners(c).flatMap((l) => objects(l.filter_chains)));
      if (!chain) return false;
      chain.filter_chain_match = {
        ...(isObject(chain.filter_chain_match) ? chain.filter_chain_match : {}),
        server_names: ['www.*.example.com'],
      };
      return true;
    },
  },
  {
    id: 'pseudo-header-added',
    refused: true,
    why: '":-prefixed or host headers may not be modified"',
    apply: (c) =>
      set(routes(c), 'request_headers_to_add', [{ header: { key: ':path', value: '/x' } }]),
  },
  {
    id: 'direct-response-too-large',
    refused: true,
    why: 'a direct response body beyond max_direct_response_body_size_bytes (4096): "response body size is 5000 bytes; maximum is 4096"',
    apply: (c) => {
      const r = first(routes(c));
      if (!r) return false;
      delete r.route;
      delete r.redirect;
      r.direct_response = { status: 200, body: { inline_string: 'x'.repeat(5000) } };
      return true;
    },
  },
  {
    id: 'weighted-clusters-weighing-nothing',
    refused: true,
    why: '"Sum of weights in the weighted_cluster must be greater than 0"',
    apply: (c) => {
      const action = routeAction(c);
      if (!action) return false;
      action.weighted_clusters = { clusters: [{ name: action.cluster as string, weight: 0 }] };
      delete action.cluster;
      return true;
    },
  },
  {
    id: 'cluster-without-name',
    refused: true,
    why: 'Cluster.name has the rule min_len: 1',
    apply: (c) => {
      const cl = first(clusters(c));
      if (!cl) return false;
      delete cl.name;
      return true;
    },
  },
  {
    id: 'two-path-specifiers',
    refused: true,
    why: 'prefix and path are members of one oneof: "\'path\' has already been set (either directly or as part of a oneof)"',
    apply: (c) => {
      const r = first(
        routes(c).filter((x) => isObject(x.match) && typeof x.match.prefix === 'string'),
      );
      if (!r) return false;
      (r.match as JsonObject).path = '/exact';
      return true;
    },
  },
  {
    id: 'duration-without-unit',
    refused: true,
    why: 'a JSON duration ends with "s": "duration must end with a single \'s\'"',
    apply: (c) => set(objects(routeAction(c)), 'timeout', '15'),
  },
  {
    id: 'empty-domains',
    refused: true,
    why: 'VirtualHost.domains has the rule min_items: 1',
    apply: (c) => set(virtualHosts(c), 'domains', []),
  },
  {
    id: 'duplicate-upgrade-config',
    refused: true,
    why: '"Error: multiple upgrade configs with the same name: \'websocket\'"',
    apply: (c) =>
      set(connectionManagers(c), 'upgrade_configs', [
        { upgrade_type: 'websocket' },
        { upgrade_type: 'WebSocket' },
      ]),
  },
  {
    id: 'two-rewrites',
    refused: true,
    why: '"Cannot specify both prefix_rewrite and regex_rewrite"',
    apply: (c) => {
      const action = routeAction(c);
      if (!action) return false;
      action.prefix_rewrite = '/';
      action.regex_rewrite = { pattern: { regex: '^/a' }, substitution: '/b' };
      return true;
    },
  },
  {
    id: 'http3-codec-on-tcp',
    refused: true,
    why: '"HTTP/3 codec configured on non-QUIC listener."',
    apply: (c) => {
      const l = first(
        tcpListeners(c).filter((x) =>
          chains(x).some((ch) =>
            objects(ch.filters).some((f) => typeOf(f.typed_config) === types.hcm),
          ),
        ),
      );
      const hcm =
        l &&
        chains(l)
          .flatMap((ch) => objects(ch.filters))
          .find((f) => typeOf(f.typed_config) === types.hcm);
      if (!hcm) return false;
      (hcm.typed_config as JsonObject).codec_type = 'HTTP3';
      return true;
    },
  },
  {
    id: 'eds-cluster-without-config',
    refused: true,
    why: '"cannot create an EDS cluster without an EDS config"',
    apply: (c) => {
      const cl = first(builtInClusters(c))?.cluster;
      if (!cl) return false;
      cl.type = 'EDS';
      delete cl.eds_cluster_config;
      delete cl.load_assignment;
      return true;
    },
  },
  {
    id: 'original-dst-with-endpoints',
    refused: true,
    why: '"ORIGINAL_DST clusters must have no load assignment configured"',
    apply: (c) => {
      const cl = first(
        builtInClusters(c).filter((x) => x.cluster.load_assignment !== undefined),
      )?.cluster;
      if (!cl) return false;
      cl.type = 'ORIGINAL_DST';
      cl.lb_policy = 'CLUSTER_PROVIDED';
      return true;
    },
  },
  {
    id: 'duplicate-runtime-layer',
    refused: true,
    why: '"Duplicate layer name: static"',
    apply: (c) => {
      c.layered_runtime = {
        layers: [
          { name: 'static', static_layer: {} },
          { name: 'static', admin_layer: {} },
        ],
      };
      return true;
    },
  },
  {
    id: 'config-source-without-cluster',
    refused: true,
    why: '"envoy.config.core.v3.ApiConfigSource must have a statically defined non-EDS cluster: \'xds_missing\' does not exist, was added via api, or is an EDS cluster"',
    apply: (c) => {
      if (isObject(c.dynamic_resources)) return false;
      c.node = { id: 'mutant', cluster: 'mutant' };
      c.dynamic_resources = {
        cds_config: {
          api_config_source: {
            api_type: 'GRPC',
            transport_api_version: 'V3',
            grpc_services: [{ envoy_grpc: { cluster_name: 'xds_missing' } }],
          },
        },
      };
      return true;
    },
  },
  {
    id: 'regex-with-lookahead',
    refused: true,
    why: 'RE2 has no lookahead: "Invalid regex \'^/(?!admin)\': invalid perl operator: (?!"',
    apply: (c) => {
      const r = first(routes(c).filter((x) => isObject(x.match)));
      if (!r) return false;
      r.match = { safe_regex: { regex: '^/(?!admin)' } };
      return true;
    },
  },
  {
    id: 'regex-program-too-large',
    refused: true,
    why: 'a regex whose RE2 program passes re2.max_program_size.error_level (100 by default): "regex \'...\' RE2 program size of 126 > max program size of 100 set for the error level threshold"',
    apply: (c) => {
      const r = first(routes(c).filter((x) => isObject(x.match)));
      // A runtime may raise the limit (Envoy Gateway sets it to 2^32-1): then Envoy takes it.
      if (!r || JSON.stringify(c.layered_runtime ?? {}).includes('re2.max_program_size'))
        return false;
      r.match = { safe_regex: { regex: `^/${'abcdefghij'.repeat(12)}$` } };
      return true;
    },
  },
  {
    id: 'tls-server-without-certificate',
    refused: true,
    why: 'a server TLS context with nothing to present: "No TLS certificates found for server context"',
    apply: (c) => {
      const contexts = listeners(c)
        .flatMap((l) => chains(l))
        .flatMap((ch) => objects(ch.transport_socket))
        .flatMap((t) =>
          typeOf(t.typed_config) ===
          'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext'
            ? objects(t.typed_config)
            : [],
        )
        .filter(
          (t) =>
            isObject(t.common_tls_context) && Array.isArray(t.common_tls_context.tls_certificates),
        );
      const context = first(contexts);
      if (!context) return false;
      delete (context.common_tls_context as JsonObject).tls_certificates;
      return true;
    },
  },
  // Two that the checker is known to miss: it runs no Lua and knows no access log commands.
  {
    id: 'lua-syntax-error',
    refused: true,
    why: 'the Lua filter compiles its code when Envoy loads the configuration: "script load error: ... \'end\' expected"',
    apply: (c) => {
      const lua = connectionManagers(c)
        .flatMap((h) => objects(h.http_filters))
        .flatMap((f) =>
          typeOf(f.typed_config) === 'envoy.extensions.filters.http.lua.v3.Lua'
            ? objects(f.typed_config)
            : [],
        )
        .find((t) => isObject(t.default_source_code));
      if (!lua) return false;
      lua.default_source_code = { inline_string: 'function envoy_on_request(request_handle)\n' };
      return true;
    },
  },
  {
    id: 'access-log-unknown-command',
    refused: true,
    why: 'an access log format is parsed when Envoy loads it: "Not supported field in StreamInfo: NOT_A_COMMAND"',
    apply: (c) => {
      const format = connectionManagers(c)
        .flatMap((h) => objects(h.access_log))
        .flatMap((l) => objects(l.typed_config))
        .flatMap((t) => objects(t.log_format))
        .find((f) => isObject(f.text_format_source));
      if (!format) return false;
      format.text_format_source = { inline_string: '%NOT_A_COMMAND%\n' };
      return true;
    },
  },
  {
    id: 'admin-on-listener-port',
    refused: true,
    why: 'the admin interface binds the port first, without SO_REUSEPORT: "cannot bind \'<address>\': Address already in use"',
    apply: (c) => {
      const s = first(
        tcpListeners(c).flatMap((l) => sockets({ static_resources: { listeners: [l] } })),
      );
      if (!s || typeof s.address !== 'string' || !/^[\d.]+$|:/.test(s.address)) return false;
      c.admin = {
        address: { socket_address: { address: s.address, port_value: s.port_value ?? 0 } },
      };
      return true;
    },
  },
  {
    id: 'two-listeners-one-address',
    refused: true,
    why: "\"error adding listener: '<name>' has duplicate address '<address>' as existing listener\"",
    apply: (c) => {
      const l = first(tcpListeners(c).filter((x) => Number(socketOf(x)?.port_value ?? 0) !== 0));
      const all = staticResources(c)?.listeners;
      if (!l || !Array.isArray(all)) return false;
      all.push({ ...structuredClone(l), name: `${l.name ?? 'listener'}_copy` });
      return true;
    },
  },
  {
    id: 'unknown-route-cluster-in-weighted',
    refused: true,
    why: 'weighted clusters are checked like a route\'s cluster: "route: unknown weighted cluster"',
    apply: (c) => {
      const action = routeAction(c);
      if (!action || hasCds(c) || clusterNames(c).size === 0) return false;
      action.weighted_clusters = {
        clusters: [
          { name: action.cluster as string, weight: 1 },
          { name: 'no_such_cluster', weight: 1 },
        ],
      };
      delete action.cluster;
      return true;
    },
  },
];

/** Enum fields the corpus sets, by name: any of them may be written in another case. */
const enumKeys = [
  'lb_policy',
  'type',
  'dns_lookup_family',
  'codec_type',
  'protocol',
  'api_type',
  'transport_api_version',
  'resource_api_version',
];

function enumSite(c: JsonObject): { parent: JsonObject; key: string } | undefined {
  for (const cl of clusters(c)) {
    for (const key of enumKeys)
      if (typeof cl[key] === 'string' && /^[A-Z0-9_]+$/.test(cl[key] as string))
        return { parent: cl, key };
  }
  for (const hcm of connectionManagers(c))
    if (typeof hcm.codec_type === 'string') return { parent: hcm, key: 'codec_type' };
  return undefined;
}

export const acceptedMutations: Mutation[] = [
  {
    id: 'enum-in-lower-case',
    refused: false,
    why: 'Envoy parses JSON with case_insensitive_enum_parsing: `lb_policy: round_robin` is ROUND_ROBIN',
    apply: (c) => {
      const site = enumSite(c);
      if (!site) return false;
      site.parent[site.key] = (site.parent[site.key] as string).toLowerCase();
      return true;
    },
  },
  {
    id: 'enum-in-title-case',
    refused: false,
    why: 'the same parsing in any case: `Strict_Dns` is STRICT_DNS',
    apply: (c) => {
      const site = enumSite(c);
      if (!site) return false;
      const value = site.parent[site.key] as string;
      site.parent[site.key] = value.charAt(0) + value.slice(1).toLowerCase();
      return true;
    },
  },
  {
    id: 'enum-as-number',
    refused: false,
    why: "protobuf's JSON parser takes an enum's number: `lb_policy: 0` is ROUND_ROBIN",
    apply: (c) => {
      const cl = first(
        clusters(c).filter((x) => x.lb_policy === undefined || x.lb_policy === 'ROUND_ROBIN'),
      );
      if (!cl) return false;
      cl.lb_policy = 0;
      return true;
    },
  },
  {
    id: 'enum-as-number-string',
    refused: false,
    why: 'and its number as a string ("0"), which it reads with SimpleAtoi when no name matches',
    apply: (c) => {
      const cl = first(
        clusters(c).filter((x) => x.lb_policy === undefined || x.lb_policy === 'ROUND_ROBIN'),
      );
      if (!cl) return false;
      cl.lb_policy = '0';
      return true;
    },
  },
  {
    id: 'camel-case-field-names',
    refused: false,
    why: "protobuf's JSON names (lowerCamelCase) are accepted beside the proto names",
    apply: (c) => {
      const cl = first(clusters(c));
      if (!cl) return false;
      for (const key of Object.keys(cl)) {
        if (key === camel(key)) continue;
        cl[camel(key)] = cl[key]!;
        delete cl[key];
      }
      return true;
    },
  },
  {
    id: 'port-as-string',
    refused: false,
    why: 'an integer may be a JSON string of digits',
    apply: (c) => {
      const s = first(sockets(c).filter((x) => typeof x.port_value === 'number'));
      if (!s) return false;
      s.port_value = String(s.port_value);
      return true;
    },
  },
  {
    id: 'port-as-whole-float',
    refused: false,
    why: 'an integer written as a float with no fraction ("10000.0", what YAML\'s 10000.0 becomes) is read as that integer',
    apply: (c) => {
      const s = first(sockets(c).filter((x) => typeof x.port_value === 'number'));
      if (!s) return false;
      s.port_value = `${s.port_value}.0`;
      return true;
    },
  },
  {
    id: 'null-field',
    refused: false,
    why: 'null is "not set" in proto3 JSON',
    apply: (c) => set(clusters(c), 'health_checks', null),
  },
  {
    id: 'deprecated-field',
    refused: false,
    why: "a deprecated field (Cluster.dns_refresh_rate) runs, with a warning in Envoy's log",
    apply: (c) =>
      set(
        builtInClusters(c)
          .filter((x) => x.type === 'STRICT_DNS' || x.type === 'LOGICAL_DNS')
          .map((x) => x.cluster),
        'dns_refresh_rate',
        '5s',
      ),
  },
  {
    id: 'deprecated-header-matcher',
    refused: false,
    why: 'HeaderMatcher.exact_match is deprecated for string_match, and still runs (with a warning)',
    apply: (c) => {
      const r = first(routes(c).filter((x) => isObject(x.match)));
      if (!r) return false;
      const match = r.match as JsonObject;
      match.headers = [
        ...(Array.isArray(match.headers) ? match.headers : []),
        { name: 'x-mutant', exact_match: 'yes' },
      ];
      return true;
    },
  },
  {
    id: 'zero-route-timeout',
    refused: false,
    why: 'a route timeout of 0s disables the timeout',
    apply: (c) => set(objects(routeAction(c)), 'timeout', '0s'),
  },
  {
    id: 'duration-as-object',
    refused: false,
    why: "in the legacy mode Envoy's parser runs in, a Duration may be an object of its fields",
    apply: (c) => set(clusters(c), 'connect_timeout', { seconds: 2, nanos: 500000000 }),
  },
  {
    id: 'wrapper-as-object',
    refused: false,
    why: 'likewise a wrapper type: `{value: 32768}` for a UInt32Value',
    apply: (c) => set(clusters(c), 'per_connection_buffer_limit_bytes', { value: 32768 }),
  },
  {
    id: 'one-value-for-a-list',
    refused: false,
    why: 'the legacy parser takes one value where a list belongs ("The original ESF parser permits a single element in place of an array")',
    apply: (c) => {
      const host = first(
        virtualHosts(c).filter((v) => Array.isArray(v.domains) && v.domains.length === 1),
      );
      if (!host) return false;
      host.domains = (host.domains as Json[])[0]!;
      return true;
    },
  },
  {
    id: 'list-in-a-list',
    refused: false,
    why: 'the legacy parser flattens a list within a list',
    apply: (c) => {
      const host = first(virtualHosts(c).filter((v) => Array.isArray(v.domains)));
      if (!host) return false;
      host.domains = [host.domains as Json[]];
      return true;
    },
  },
  {
    id: 'bool-as-string',
    refused: false,
    why: 'the legacy parser reads a bool from a string with absl::SimpleAtob ("true", "yes", "1")',
    apply: (c) => set(connectionManagers(c), 'use_remote_address', 'true'),
  },
  {
    id: 'field-by-both-names',
    refused: false,
    why: 'a field given by its proto and its JSON name: the legacy parser keeps the last (only a oneof member twice is refused)',
    apply: (c) => {
      const hcm = first(connectionManagers(c).filter((h) => typeof h.stat_prefix === 'string'));
      if (!hcm) return false;
      hcm.statPrefix = hcm.stat_prefix!;
      return true;
    },
  },
  {
    id: 'original-dst-cluster',
    refused: false,
    why: 'ORIGINAL_DST with CLUSTER_PROVIDED and no endpoints is what Envoy asks for',
    apply: (c) => {
      const cl = first(builtInClusters(c))?.cluster;
      if (!cl) return false;
      cl.type = 'ORIGINAL_DST';
      cl.lb_policy = 'CLUSTER_PROVIDED';
      delete cl.load_assignment;
      delete cl.health_checks;
      return true;
    },
  },
  {
    id: 'wildcard-server-name',
    refused: false,
    why: 'a whole leading wildcard label ("*.example.com") is what server_names takes',
    apply: (c) => {
      const chain = first(tcpListeners(c).flatMap((l) => objects(l.filter_chains)));
      if (!chain || chain.filter_chain_match !== undefined) return false;
      chain.filter_chain_match = { server_names: ['*.example.com'] };
      return true;
    },
  },
  {
    id: 'unknown-cluster-without-validation',
    refused: false,
    why: 'validate_clusters: false lets a static route table name a cluster that is not there (the router answers 503)',
    apply: (c) => {
      const hcm = first(connectionManagers(c).filter((h) => isObject(h.route_config)));
      const action = hcm
        ? objects((hcm.route_config as JsonObject).virtual_hosts)
            .flatMap((v) => objects(v.routes))
            .flatMap((r) => objects(r.route))
            .find((a) => typeof a.cluster === 'string')
        : undefined;
      if (!hcm || !action) return false;
      (hcm.route_config as JsonObject).validate_clusters = false;
      action.cluster = 'no_such_cluster';
      return true;
    },
  },
  {
    id: 'regex-within-limit',
    refused: false,
    why: 'a short RE2 pattern, with RE2-only syntax (inline flags, named group), is well within the program size limit',
    apply: (c) => {
      const r = first(routes(c).filter((x) => isObject(x.match)));
      if (!r) return false;
      r.match = { safe_regex: { regex: '(?i)^/(?P<id>[0-9]+)/items$' } };
      return true;
    },
  },
  {
    id: 'admin-on-unix-socket',
    refused: false,
    why: 'the admin interface may listen on a pipe (a unix socket) instead of a port',
    apply: (c) => {
      c.admin = { address: { pipe: { path: '/tmp/envoy-admin.sock' } } };
      return true;
    },
  },
];

export const textMutations: TextMutation[] = [
  {
    id: 'yaml-ignored-anchor-key',
    refused: false,
    why: 'Envoy drops a key tagged !ignore: the place for YAML anchors that are no configuration',
    apply: (text) => `!ignore anchors:\n  timeouts: &timeout 5s\n${text}`,
  },
  {
    id: 'yaml-bool-as-yes',
    refused: false,
    why: 'yaml-cpp reads yes/no and on/off as booleans',
    apply: (text) => (/: true$/m.test(text) ? text.replace(/: true$/m, ': yes') : undefined),
  },
  {
    id: 'yaml-float-for-a-string',
    refused: false,
    why: 'Envoy turns a YAML float into a JSON string: `stat_prefix: 1.5` is the string "1.5"',
    apply: (text) =>
      /^(\s*)stat_prefix: \S+$/m.test(text)
        ? text.replace(/^(\s*)stat_prefix: \S+$/m, '$1stat_prefix: 1.5')
        : undefined,
  },
  {
    id: 'yaml-integer-for-a-string',
    refused: true,
    why: 'Envoy turns a YAML integer into a JSON number, and protobuf takes no number for a string field: `stat_prefix: 15` is refused',
    apply: (text) =>
      /^(\s*)stat_prefix: \S+$/m.test(text)
        ? text.replace(/^(\s*)stat_prefix: \S+$/m, '$1stat_prefix: 15')
        : undefined,
  },
  {
    id: 'yaml-merge-key',
    refused: true,
    why: 'yaml-cpp has no merge keys: `<<` is read as a field named "<<", which no message has',
    apply: (text) =>
      /^static_resources:$/m.test(text)
        ? text.replace(/^static_resources:$/m, 'static_resources:\n  <<: {}')
        : undefined,
  },
];
