import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { step2Edge } from '../../test/support/step2-edge.js';
import { defineStack } from '../api/define-stack.js';
import { assertStackEdges, checkStackEdges } from '../envoy/check-edges.js';
import { checkEnvoyBootstrap } from '../envoy/check-envoy.js';
import { envoyReadyCheck } from '../envoy/envoy-ready.js';
import { renderEnvoyBootstrap } from '../envoy/render-envoy.js';
import { StackInvalidError } from '../model/errors.js';
import type { EnvoySpec, ServiceSpec, StackSpec } from '../model/model.js';
import { edgeConfigFiles } from '../render/edge-files.js';
import { renderCompose } from '../render/render-compose.js';
import { toYaml } from '../render/to-yaml.js';
import { resolveStack } from '../resolve/resolve-stack.js';
import step1 from './step1.js';
import step2 from './step2.js';

const file = '/repo/stacks/builtin/step2.ts';
const resolve = (spec: StackSpec, env: Record<string, string> = {}) =>
  resolveStack(spec, { file, project: 'demo', env });

/** step 2 with its edge's `envoy` (and optionally more of the edge) replaced. */
function withEdge(envoy: EnvoySpec, edge: Partial<ServiceSpec> = {}): StackSpec {
  return {
    ...step2,
    services: { ...step2.services, edge: { ...step2.services.edge, ...edge, envoy } },
  };
}

function definitionProblems(spec: StackSpec): string[] {
  try {
    defineStack(spec);
  } catch (err) {
    expect(err).toBeInstanceOf(StackInvalidError);
    return (err as StackInvalidError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

const routes =
  '.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes';

describe('the step2 stack', () => {
  it('is step 1 with an edge in front: the user service is no longer published', () => {
    expect(definitionProblems(step2)).toEqual([]);
    const resolved = resolve(step2);
    expect(resolved.services.map((s) => s.name)).toEqual(['postgres', 'usersvc', 'edge']);
    const [postgres, usersvc, edge] = resolved.services;
    expect(usersvc?.ports).toEqual([]);
    expect(edge?.ports).toEqual([
      { hostIp: '127.0.0.1', hostPort: 8000, containerPort: 8080, protocol: 'tcp' },
    ]);
    expect(edge?.dependsOn).toEqual([{ service: 'usersvc', condition: 'healthy' }]);
    expect(edge?.networks).toEqual(['appmesh']);
    // Everything else of step 1 is step 1's.
    const step1Resolved = resolveStack(step1, { file, project: 'demo', env: {} });
    expect(postgres).toEqual(step1Resolved.services[0]);
    // Unpublished, the user service may roll start-first on a Swarm in host mode too.
    expect(usersvc?.rollout.order).toEqual({ host: 'start-first', ingress: 'start-first' });
    const { rollout: _a, ...usersvcRest } = usersvc!;
    const { rollout: _b, ...step1Rest } = step1Resolved.services[1]!;
    expect({ ...usersvcRest, ports: [] }).toEqual({ ...step1Rest, ports: [] });
  });

  it('still builds the user service FROM the Envoy image, the one the edge is built FROM', () => {
    const resolved = resolve(step2, { ESTEPS_ENVOY_IMAGE: 'envoyproxy/envoy:v1.32.3' });
    const [, usersvc, edge] = resolved.services;
    expect(usersvc?.build?.args.ENVOY_IMAGE).toBe('envoyproxy/envoy:v1.32.3');
    expect(edge?.build?.args).toEqual({ ENVOY_IMAGE: 'envoyproxy/envoy:v1.32.3' });
    expect(edge?.build?.context).toBe('/repo/templates/edge');
    expect(resolved.origins['services.edge.build.args.ENVOY_IMAGE']).toMatchObject({
      kind: 'environment',
      variable: 'ESTEPS_ENVOY_IMAGE',
      default: 'envoyproxy/envoy:v1.32-latest',
    });
    expect(resolved.origins['services.edge.ports[0].hostPort']).toMatchObject({
      kind: 'default',
      variable: 'ESTEPS_EDGE_PORT',
    });
  });

  it("generates the edge's configuration from the routes and the service they name", () => {
    const edge = resolve(step2).services[2]!;
    expect(edge.envoy).toEqual({
      configFile: 'envoy.yaml',
      imageArg: 'ENVOY_IMAGE',
      listenerPort: 8080,
      adminPort: 9901,
      bootstrap: renderEnvoyBootstrap(step2Edge),
    });
    expect(checkEnvoyBootstrap(edge.envoy!.bootstrap)).toEqual([]);
  });

  it("is ready when Envoy's admin /ready answers, unless the stack says otherwise", () => {
    const edge = resolve(step2).services[2]!;
    expect(edge.healthcheck).toEqual({
      test: envoyReadyCheck(9901),
      intervalMs: 1000,
      timeoutMs: 2000,
      retries: 60,
      startPeriodMs: 0,
    });
    const own = withEdge(
      { ...step2.services.edge.envoy, adminPort: 9000 },
      { healthcheck: { test: ['CMD', 'true'] } },
    );
    expect(resolve(own).services[2]!.healthcheck?.test).toEqual(['CMD', 'true']);
    expect(
      resolve(withEdge({ ...step2.services.edge.envoy, adminPort: 9000 })).services[2]!.healthcheck
        ?.test,
    ).toEqual(envoyReadyCheck(9000));
  });

  it("passes the check against Envoy's API, and its generated file reads back to what was checked", async () => {
    const resolved = resolve(step2);
    expect(await checkStackEdges(resolved)).toEqual([]);
    await assertStackEdges(resolved);
    const files = await edgeConfigFiles(resolved, resolved.services[2]!);
    expect(Object.keys(files)).toEqual(['envoy.yaml']);
    const read = parse(files['envoy.yaml']!);
    expect(read).toEqual(resolved.services[2]!.envoy!.bootstrap);
    expect(checkEnvoyBootstrap(read)).toEqual([]);
    expect(files['envoy.yaml']).toMatch(/^# Envoy configuration of service "edge"/);
    expect(await edgeConfigFiles(resolved, resolved.services[1]!)).toEqual({});
  });

  it('renders as compose YAML: the edge built with its health check, the user service unpublished', () => {
    const rendered = renderCompose(resolve(step2));
    expect(toYaml(rendered.document)).toMatchSnapshot();
    expect(rendered.contexts).toEqual({ usersvc: './usersvc', edge: './edge' });
    expect(rendered.variables).toEqual([
      'ESTEPS_EDGE_PORT',
      'ESTEPS_ENVOY_IMAGE',
      'ESTEPS_NODE_IMAGE',
      'ESTEPS_POSTGRES_IMAGE',
    ]);
    const { edge, usersvc } = rendered.document.services;
    expect(usersvc?.ports).toBeUndefined();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose variables, not JS templates
    expect(edge?.ports).toEqual(['127.0.0.1:${ESTEPS_EDGE_PORT:-8000}:8080']);
    expect(edge?.depends_on).toEqual({ usersvc: { condition: 'service_healthy' } });
  });
});

describe('a step2-like stack with a broken edge', () => {
  it('gets every problem of its definition from defineStack, with its path', () => {
    const spec: StackSpec = {
      ...withEdge(
        {
          configFile: '../envoy.yaml',
          routes: [
            { pathPrefix: 'user', service: 'usersvc' },
            { pathPrefix: 'user', service: 'usersvcs' },
            { pathPrefix: '/db', service: 'postgres' },
            { pathPrefix: '/self', service: 'edge', retry: true as unknown as false },
            { pathPrefix: '/lonely', service: 'lonely' },
          ],
        },
        { build: { context: '../templates/edge' } },
      ),
    };
    const services = {
      ...spec.services,
      lonely: { image: 'l:1', httpProbe: { path: '/', containerPort: 80 }, networks: ['other'] },
    };
    const broken = { ...spec, services, networks: { ...spec.networks, other: {} } };
    expect(definitionProblems(broken)).toEqual([
      'services.edge.build.args: has no ENVOY_IMAGE, the Envoy image the edge is built FROM (envoy.imageArg names the argument)',
      'services.edge.envoy.configFile: must be a path inside the context, got "../envoy.yaml"',
      'services.edge.envoy.routes[0].pathPrefix: must start with "/", got "user"',
      'services.edge.envoy.routes[1].pathPrefix: must start with "/", got "user"',
      'services.edge.envoy.routes[1].pathPrefix: "user" is already routed by routes[0]',
      'services.edge.envoy.routes[1].service: no service "usersvcs"; did you mean "usersvc"?',
      'services.edge.envoy.routes[2].service: "postgres" has no httpProbe: the edge takes its port from it and health-checks it with it',
      'services.edge.envoy.routes[3].retry: must be false (no retries) or { attempts, on, perTryTimeoutMs }',
      'services.edge.envoy.routes[3].service: an edge cannot route to itself',
      'services.edge.envoy.routes[4].service: "lonely" shares no network with "edge": Envoy finds it by name on a network of the stack they are both on',
    ]);
  });

  it('refuses negative and meaningless timeouts with their path, before anything is rendered', () => {
    const spec = withEdge({
      routes: [
        {
          pathPrefix: '/user',
          service: 'usersvc',
          timeoutMs: -1000,
          retry: { perTryTimeoutMs: -500 },
        },
        { pathPrefix: '/a', service: 'usersvc', timeoutMs: 1.5, retry: { perTryTimeoutMs: 0 } },
        { pathPrefix: '/b', service: 'usersvc', timeoutMs: 1000, retry: { perTryTimeoutMs: 2000 } },
        // No timeout for the whole request: each try may take 2 s.
        { pathPrefix: '/c', service: 'usersvc', timeoutMs: 0, retry: { perTryTimeoutMs: 2000 } },
        // The route's default (15 s) bounds the tries.
        { pathPrefix: '/d', service: 'usersvc', retry: { perTryTimeoutMs: 20_000 } },
      ],
    });
    expect(definitionProblems(spec)).toEqual([
      'services.edge.envoy.routes[0].timeoutMs: must be a whole number of milliseconds, 0 or more (0: no timeout), got -1000',
      'services.edge.envoy.routes[0].retry.perTryTimeoutMs: must be a whole number of milliseconds, 1 or more, got -500',
      'services.edge.envoy.routes[1].timeoutMs: must be a whole number of milliseconds, 0 or more (0: no timeout), got 1.5',
      "services.edge.envoy.routes[1].retry.perTryTimeoutMs: must be a whole number of milliseconds, 1 or more, got 0: leave it out to give each try the route's timeout",
      "services.edge.envoy.routes[2].retry.perTryTimeoutMs: 2000 is longer than the route's whole timeout (1000 ms): no try can run that long",
      "services.edge.envoy.routes[4].retry.perTryTimeoutMs: 20000 is longer than the route's whole timeout (15000 ms): no try can run that long",
    ]);
  });

  it('names misspelt keys and values of the wrong kind in the edge, and an edge that is not built', () => {
    const spec = withEdge({
      rutes: [],
      accessLog: 'yes',
      routes: [{ pathPrefix: '/user', service: 'usersvc', retry: { on: ['5xx', 'timeout'] } }],
    } as unknown as EnvoySpec);
    expect(definitionProblems(spec)).toEqual([
      'services.edge.envoy.rutes: is not a known key; did you mean "routes"?',
      'services.edge.envoy.accessLog: must be one of "text", "json", "off", got "yes"',
      'services.edge.envoy.routes[0].retry.on[1]: must be one of "connect-failure", "reset", "reset-before-request", "refused-stream", "gateway-error", "5xx", "retriable-4xx", got "timeout"',
    ]);
    const { build: _build, ...unbuilt } = step2.services.edge;
    expect(
      definitionProblems({ ...step2, services: { ...step2.services, edge: unbuilt } }),
    ).toEqual([
      'services.edge.envoy: an Envoy edge is built FROM the Envoy image with its generated configuration added: give it a build (templates/edge is one)',
    ]);
  });

  it('lets smoke go through an edge, and only through something it can reach', () => {
    expect(
      definitionProblems({ ...step2, smoke: { ...step2.smoke, service: 'postgres' } }),
    ).toEqual([
      'smoke.service: "postgres" has no httpProbe: smoke reaches a service through its probe port (or an edge through its listener)',
    ]);
  });

  it("gets every problem Envoy's API finds in its generated configuration, with its path (render, up)", async () => {
    const spec = withEdge({
      listenerPort: 70000,
      adminPort: 9901,
      routes: [
        {
          pathPrefix: '/user/',
          service: 'usersvc',
          retry: { attempts: -1, perTryTimeoutMs: 250 },
        },
        { pathPrefix: '/a?b', service: 'usersvc' },
      ],
    });
    // Nothing here is wrong with the stack as such: Envoy's API says what is.
    expect(definitionProblems(spec)).toEqual([]);
    const resolved = resolve(spec);
    const at = `services.edge.envoy.bootstrap${routes}`;
    expect((await checkStackEdges(resolved)).map((p) => `${p.path}: ${p.message}`)).toEqual([
      'services.edge.envoy.bootstrap.static_resources.listeners[0].address.socket_address.port_value: must be at most 65535, got 70000',
      `${at}[0].match.path_separated_prefix: must match the pattern ^[^?#]+[^?#/]$`,
      `${at}[0].route.retry_policy.num_retries: -1 is out of range for a uint32 (0 to 4294967295)`,
      `${at}[1].match.path_separated_prefix: must match the pattern ^[^?#]+[^?#/]$`,
    ]);
    const error = await assertStackEdges(resolved).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StackInvalidError);
    expect((error as StackInvalidError).code).toBe('STACK_INVALID');
    expect((error as StackInvalidError).problems).toHaveLength(4);
    expect((error as StackInvalidError).message).toMatch(
      /^The stack in \/repo\/stacks\/builtin\/step2.ts is invalid \(4 problems\):\n {2}services\.edge\.envoy\.bootstrap\./,
    );
    expect((error as StackInvalidError).hint).toContain('envoy fields');
  });

  it('finds two sockets on one port: the listener on the admin port', async () => {
    const resolved = resolve(withEdge({ ...step2.services.edge.envoy, listenerPort: 9901 }));
    const problems = await checkStackEdges(resolved);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.path.startsWith('services.edge.envoy.bootstrap'))).toBe(true);
  });

  it('costs a stack without an edge nothing', async () => {
    expect(await checkStackEdges(resolveStack(step1, { file, project: 'demo', env: {} }))).toEqual(
      [],
    );
  });
});
