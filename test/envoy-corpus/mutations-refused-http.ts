import {
  chains,
  clusterNames,
  connectionManagers,
  hasCds,
  isObject,
  type Json,
  type JsonObject,
  objects,
  routes,
  tcpListeners,
  typed,
  typeOf,
  types,
  virtualHosts,
} from './corpus-sites.js';

import { first, type Mutation, routeAction, router, set } from './mutation-kinds.js';

/**
 * Changes to HTTP connection managers and routes that Envoy refuses, each quoting its error;
 * two of them the checker is known to miss (it runs no Lua, knows no access log commands).
 */
export const refusedHttpMutations: Mutation[] = [
  {
    id: 'unknown-key-in-typed-config',
    refused: true,
    why: 'a typed_config is decoded as its type: an unknown field in it is refused when the extension is built',
    apply: (c) => set(connectionManagers(c), 'stat_prefx', 'x'),
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
