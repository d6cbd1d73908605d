import {
  builtInClusters,
  chains,
  clusters,
  durations,
  endpointAddresses,
  isObject,
  type Json,
  type JsonObject,
  listeners,
  networkFilters,
  objects,
  socketOf,
  sockets,
  staticResources,
  tcpListeners,
  typed,
  typeOf,
  types,
} from './corpus-sites.js';

import { first, type Mutation, set } from './mutation-kinds.js';
import { refusedHttpMutations } from './mutations-refused-http.js';

/** Changes Envoy refuses, each quoting its error: bootstrap, listeners, clusters, then HTTP. */
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
    id: 'unknown-lb-policy',
    refused: true,
    why: "ROUND_ROBBIN is no value of Cluster.LbPolicy: protobuf's JSON parser refuses an unknown enum name",
    apply: (c) => set(clusters(c), 'lb_policy', 'ROUND_ROBBIN'),
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
  ...refusedHttpMutations,
];
