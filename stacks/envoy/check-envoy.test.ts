import { describe, expect, it } from 'vitest';
import { step2Edge } from '../../test/support/step2-edge.js';
import { checkEnvoyBootstrap, type EnvoyProblem } from './check-envoy.js';
import { type JsonObject, renderEnvoyBootstrap } from './render-envoy.js';

const hcm = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config';
const route0 = `${hcm}.route_config.virtual_hosts[0].routes[0]`;
const cluster0 = 'static_resources.clusters[0]';
const remove = Symbol('remove');

/**
 * Step 2's bootstrap with edits, each at a path written as problems name them:
 * `a.b[0].c` set to a value, or removed.
 */
function broken(...edits: [path: string, value: unknown][]): JsonObject {
  const bootstrap = structuredClone(renderEnvoyBootstrap(step2Edge));
  for (const [path, value] of edits) {
    const steps = path
      .split(/\.|(?=\[)/)
      .map((s) => (s.startsWith('[') ? Number(s.slice(1, -1)) : s));
    let node = bootstrap as Record<string | number, unknown>;
    for (const step of steps.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
    const last = steps[steps.length - 1]!;
    if (value === remove) delete node[last];
    else node[last] = value;
  }
  return bootstrap;
}

/** esteps' policy on, as for the configurations it generates. */
function problemsOf(config: unknown): EnvoyProblem[] {
  return checkEnvoyBootstrap(config, { policy: true });
}

const cors = {
  name: 'envoy.filters.http.cors',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' },
};

describe('checkEnvoyBootstrap', () => {
  it("accepts step 2's bootstrap, with proto or JSON field names", () => {
    expect(problemsOf(renderEnvoyBootstrap(step2Edge))).toEqual([]);
    const camel = broken(['static_resources', remove]) as Record<string, unknown>;
    camel.staticResources = renderEnvoyBootstrap(step2Edge).static_resources;
    expect(problemsOf(camel)).toEqual([]);
  });

  // Each kind of broken configuration, with the path a user follows to fix it.
  it.each<[kind: string, edits: [string, unknown][], path: string, message: RegExp]>([
    [
      'an unknown key at the top level',
      [['static_resource', {}]],
      'static_resource',
      /^unknown field of envoy\.config\.bootstrap\.v3\.Bootstrap; did you mean "static_resources"\?$/,
    ],
    [
      'a misspelt key inside typed_config',
      [[`${hcm}.stat_prefx`, 'edge']],
      `${hcm}.stat_prefx`,
      /HttpConnectionManager; did you mean "stat_prefix"\?/,
    ],
    [
      'an unknown key in a typed_config nested in a typed_config',
      [[`${hcm}.access_log[0].typed_config.path`, '/dev/stdout']],
      `${hcm}.access_log[0].typed_config.path`,
      /^unknown field of envoy\.extensions\.access_loggers\.stream\.v3\.StdoutAccessLog/,
    ],
    [
      'an unknown typed_config type',
      [
        [
          `${hcm}.http_filters[0].typed_config.@type`,
          'type.googleapis.com/envoy.extensions.filters.http.router.v3.Routr',
        ],
      ],
      `${hcm}.http_filters[0].typed_config.@type`,
      /^unknown type envoy\.extensions\.filters\.http\.router\.v3\.Routr .*did you mean "envoy\.extensions\.filters\.http\.router\.v3\.Router"\?$/,
    ],
    [
      'a typed_config of the wrong kind of extension',
      [
        [
          `${hcm}.http_filters[0].typed_config.@type`,
          'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
        ],
      ],
      `${hcm}.http_filters[0].typed_config.@type`,
      /^envoy\.extensions\.access_loggers\.stream\.v3\.StdoutAccessLog is no HTTP filter/,
    ],
    [
      'a typed_config without @type',
      [[`${hcm}.http_filters[0].typed_config`, { dynamic_stats: true }]],
      `${hcm}.http_filters[0].typed_config.@type`,
      /^is required/,
    ],
    [
      'a wrong enum value',
      [[`${cluster0}.lb_policy`, 'ROUND_ROBBIN']],
      `${cluster0}.lb_policy`,
      /^"ROUND_ROBBIN" is not a value of envoy\.config\.cluster\.v3\.Cluster\.LbPolicy; did you mean "ROUND_ROBIN"\?$/,
    ],
    [
      'a malformed duration',
      [[`${cluster0}.connect_timeout`, '1000ms']],
      `${cluster0}.connect_timeout`,
      /^expected a duration such as "1\.5s" .*got the string "1000ms"$/,
    ],
    [
      'a duration that breaks its rule',
      [[`${cluster0}.connect_timeout`, '0s']],
      `${cluster0}.connect_timeout`,
      /^must be greater than 0s, got 0s$/,
    ],
    [
      'a duration given as a number',
      [[`${route0}.route.timeout`, 15]],
      `${route0}.route.timeout`,
      /^expected a duration .*got the number 15$/,
    ],
    [
      'a port out of range',
      [['static_resources.listeners[0].address.socket_address.port_value', 70000]],
      'static_resources.listeners[0].address.socket_address.port_value',
      /^must be at most 65535, got 70000$/,
    ],
    [
      'an integer out of its type',
      [[`${route0}.route.retry_policy.num_retries`, -1]],
      `${route0}.route.retry_policy.num_retries`,
      /^-1 is out of range for a uint32/,
    ],
    [
      'a missing required field',
      [[`${cluster0}.name`, remove]],
      `${cluster0}.name`,
      /^is required: it must not be empty$/,
    ],
    [
      'a missing required message',
      [[`${cluster0}.health_checks[0].timeout`, remove]],
      `${cluster0}.health_checks[0].timeout`,
      /^is required$/,
    ],
    [
      'a missing required oneof',
      [[`${hcm}.route_config`, remove]],
      hcm,
      /^needs one of rds, route_config, scoped_routes/,
    ],
    [
      'two members of one oneof',
      [[`${route0}.match.prefix`, '/user']],
      `${route0}.match.prefix`,
      /^only one of path_separated_prefix, prefix may be set \(they are the oneof path_specifier\)$/,
    ],
    [
      'a value that breaks a pattern rule',
      [[`${route0}.match.path_separated_prefix`, '/user/']],
      `${route0}.match.path_separated_prefix`,
      /^must match the pattern/,
    ],
    [
      'a list that must not be empty',
      [[`${hcm}.route_config.virtual_hosts[0].domains`, []]],
      `${hcm}.route_config.virtual_hosts[0].domains`,
      /^needs at least 1 item$/,
    ],
    [
      'a route to a missing cluster',
      [[`${route0}.route.cluster`, 'usersvcc']],
      `${route0}.route.cluster`,
      /^no cluster "usersvcc"; did you mean "usersvc"\?$/,
    ],
    [
      'the router filter not last',
      [[`${hcm}.http_filters[1]`, cors]],
      `${hcm}.http_filters[0]`,
      /^the router must be the last HTTP filter/,
    ],
    [
      'a last HTTP filter that is not terminal',
      [[`${hcm}.http_filters`, [cors]]],
      `${hcm}.http_filters[0]`,
      /^envoy\.extensions\.filters\.http\.cors\.v3\.Cors is the last HTTP filter but passes requests on/,
    ],
    [
      'a filter without its typed_config',
      [[`${hcm}.http_filters[0].typed_config`, remove]],
      `${hcm}.http_filters[0]`,
      /^has no typed_config: Envoy finds a HTTP filter by the type of its typed_config/,
    ],
    [
      'a number where a list of strings belongs',
      [[`${hcm}.route_config.virtual_hosts[0].domains`, 5]],
      `${hcm}.route_config.virtual_hosts[0].domains`,
      /^expected a string, got the number 5/,
    ],
    [
      'a string where a number belongs',
      [[`${route0}.route.retry_policy.num_retries`, 'two']],
      `${route0}.route.retry_policy.num_retries`,
      /^expected an integer \(uint32\), got the string "two"$/,
    ],
    [
      'a string where a boolean belongs',
      [[`${hcm}.use_remote_address`, 'maybe']],
      `${hcm}.use_remote_address`,
      /^expected true or false, got the string "maybe"$/,
    ],
    [
      'a hostname in a STATIC cluster',
      [[`${cluster0}.type`, 'STATIC']],
      `${cluster0}.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address`,
      /^"usersvc" is not an IP address, and a STATIC cluster takes IP addresses only/,
    ],
    [
      'an admin interface beyond loopback',
      [['admin.address.socket_address.address', '0.0.0.0']],
      'admin.address.socket_address.address',
      /^the admin interface must listen on the container's loopback only/,
    ],
    [
      'two sockets on one port',
      [['admin.address.socket_address.port_value', 8080]],
      'admin.address.socket_address.port_value',
      /^port 8080 is already taken by the listener at static_resources\.listeners\[0\]$/,
    ],
    [
      'a negative duration where the API has no rule',
      [[`${route0}.route.timeout`, '-1s']],
      `${route0}.route.timeout`,
      /^-1s is negative: Envoy refuses negative durations \("Expected positive duration"\)$/,
    ],
    [
      'a listener without an address',
      [['static_resources.listeners[0].address', remove]],
      'static_resources.listeners[0]',
      /^has no address/,
    ],
    [
      'a listener without filter chains',
      [['static_resources.listeners[0].filter_chains', []]],
      'static_resources.listeners[0]',
      /^has no filter chains/,
    ],
    [
      'a mirror policy that names no cluster',
      [
        [
          `${route0}.route.request_mirror_policies`,
          [{ runtime_fraction: { default_value: { numerator: 1 } } }],
        ],
      ],
      `${route0}.route.request_mirror_policies[0]`,
      /^names no cluster/,
    ],
    [
      'two domains that differ only in case',
      [[`${hcm}.route_config.virtual_hosts[0].domains`, ['example.com', 'Example.COM']]],
      `${hcm}.route_config.virtual_hosts[0].domains[1]`,
      /^"Example.COM" is also a domain at .*case-insensitively/,
    ],
    [
      'a cluster type with a load-balancing policy it does not allow',
      [[`${cluster0}.lb_policy`, 'CLUSTER_PROVIDED']],
      `${cluster0}.lb_policy`,
      /^a STRICT_DNS cluster provides no load balancer/,
    ],
    [
      'a listener address that is a name',
      [['static_resources.listeners[0].address.socket_address.address', 'localhost']],
      'static_resources.listeners[0].address.socket_address.address',
      /^"localhost" is not an IP address: Envoy listens on IP addresses only.*did you mean "127\.0\.0\.1"\?$/,
    ],
    [
      'a value that is not JSON',
      [[`${cluster0}.dns_refresh_rate`, undefined]],
      `${cluster0}.dns_refresh_rate`,
      /^undefined is not JSON$/,
    ],
  ])('rejects %s with its path', (_kind, edits, path, message) => {
    const problems = problemsOf(broken(...edits));
    expect(problems).toContainEqual(
      expect.objectContaining({ path, message: expect.stringMatching(message) }),
    );
    const found = problems.find((p) => p.path === path && message.test(p.message))!;
    expect(found.severity ?? 'error').toBe('error');
  });

  it.each<[kind: string, edits: [string, unknown][], path: string, message: RegExp]>([
    [
      'a deprecated field, naming its replacement',
      [['admin.access_log_path', '/dev/null']],
      'admin.access_log_path',
      /^is deprecated \(since API 3\.0\); use access_log instead; Envoy still runs it/,
    ],
    [
      'an unknown retry condition (Envoy ignores it)',
      [[`${route0}.route.retry_policy.retry_on`, 'connect-failure,rest']],
      `${route0}.route.retry_policy.retry_on`,
      /^unknown retry condition "rest"; did you mean "reset"\?: Envoy ignores it$/,
    ],
  ])('warns of %s, without an error', (_kind, edits, path, message) => {
    const problems = problemsOf(broken(...edits));
    expect(problems).toEqual([
      expect.objectContaining({
        path,
        severity: 'warning',
        message: expect.stringMatching(message),
      }),
    ]);
  });

  it("reads the forms of protobuf's legacy JSON parsing that Envoy runs with", () => {
    expect(
      problemsOf(
        broken(
          [`${hcm}.route_config.virtual_hosts[0].domains`, '*'],
          [`${hcm}.use_remote_address`, 'true'],
          [`${cluster0}.connect_timeout`, { seconds: 1 }],
          [`${cluster0}.lb_policy`, '0'],
          ['static_resources.listeners[0].address.socket_address.port_value', '8080.0'],
        ),
      ),
    ).toEqual([]);
  });

  it('refuses what Envoy disallows by default, unless the runtime allows it', () => {
    const zipkin = {
      provider: {
        name: 'envoy.tracers.zipkin',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.config.trace.v3.ZipkinConfig',
          collector_cluster: 'usersvc',
          collector_endpoint: '/api/v2/spans',
        },
      },
    };
    const path = `${hcm}.tracing.provider.typed_config.collector_endpoint_version`;
    expect(problemsOf(broken([`${hcm}.tracing`, zipkin]))).toEqual([
      expect.objectContaining({
        path,
        check: 'deprecated-disallowed',
        message: expect.stringMatching(
          /^is not set, and its default DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE is deprecated: set it .*and disallowed by default: Envoy refuses it unless the runtime key "envoy\.deprecated_features:envoy\.config\.trace\.v3\.ZipkinConfig\.DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE" is true/,
        ),
      }),
    ]);
    const runtime = {
      layers: [
        {
          name: 'static',
          static_layer: {
            'envoy.deprecated_features:envoy.config.trace.v3.ZipkinConfig.DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE': true,
          },
        },
      ],
    };
    expect(problemsOf(broken([`${hcm}.tracing`, zipkin], ['layered_runtime', runtime]))).toEqual([
      expect.objectContaining({ path, severity: 'warning' }),
    ]);
  });

  it('reads enum names in any case, as Envoy does', () => {
    expect(
      problemsOf(
        broken([`${cluster0}.lb_policy`, 'round_robin'], [`${cluster0}.type`, 'Strict_Dns']),
      ),
    ).toEqual([]);
  });

  it('reports every problem, not only the first', () => {
    const problems = problemsOf(
      broken(
        ['static_resource', {}],
        [`${cluster0}.lb_policy`, 'ROUND_ROBBIN'],
        [`${cluster0}.connect_timeout`, '1s '],
        ['static_resources.listeners[0].address.socket_address.port_value', 0x10000],
        [`${hcm}.stat_prefx`, 'x'],
      ),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'static_resource',
      'static_resources.listeners[0].address.socket_address.port_value',
      `${hcm}.stat_prefx`,
      `${cluster0}.connect_timeout`,
      `${cluster0}.lb_policy`,
    ]);
  });

  it('reports duplicate names where the second one is', () => {
    const bootstrap = broken();
    const clusters = (bootstrap.static_resources as { clusters: unknown[] }).clusters;
    clusters.push(structuredClone(clusters[0]));
    expect(problemsOf(bootstrap)).toEqual([
      {
        path: 'static_resources.clusters[1].name',
        message:
          'another cluster is also called "usersvc" (static_resources.clusters[0].name): Envoy refuses duplicate clusters',
        check: 'cluster-name-unique',
      },
    ]);
  });

  it('never throws on input that is no bootstrap at all', () => {
    for (const input of [null, 'envoy', 5, [], undefined, new Date(0)]) {
      const problems = problemsOf(input);
      expect(problems).toHaveLength(1);
      expect(problems[0]!.path).toBe('(bootstrap)');
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.node = cyclic;
    expect(problemsOf(cyclic)).toEqual([
      { path: 'node', message: 'refers back to an enclosing value (a cycle)' },
    ]);
    expect(problemsOf({ node: { id: Number.NaN } })).toEqual([
      { path: 'node.id', message: 'NaN is not a JSON number' },
    ]);
  });

  it('puts a prefix before every path', () => {
    expect(
      checkEnvoyBootstrap(broken([`${cluster0}.lb_policy`, 'RR']), { pathPrefix: 'edge.envoy' }),
    ).toEqual([
      expect.objectContaining({
        path: `edge.envoy.${cluster0}.lb_policy`,
        message: expect.stringContaining('"RR" is not a value of'),
      }),
    ]);
    expect(checkEnvoyBootstrap(7, { pathPrefix: 'edge.envoy' })[0]!.path).toBe('edge.envoy');
  });
});
