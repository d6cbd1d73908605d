import {
  builtInClusters,
  camel,
  clusters,
  connectionManagers,
  isObject,
  type Json,
  type JsonObject,
  objects,
  routes,
  sockets,
  tcpListeners,
  virtualHosts,
} from './corpus-sites.js';

import { first, type Mutation, routeAction, set } from './mutation-kinds.js';

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
