import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { step2Edge } from '../../test/support/step2-edge.js';
import { checkEnvoyBootstrap, formatEnvoyProblems, isError } from './check-envoy.js';
import { edgeFromServices } from './edge-from-services.js';
import type { EdgeSpec } from './edge-model.js';
import { renderEnvoyYaml } from './envoy-yaml.js';
import {
  duration,
  envoyValidateCommand,
  type JsonValue,
  renderEnvoyBootstrap,
} from './render-envoy.js';

/** No error, and no warning but those `expectedWarnings` names (by path). */
function expectAccepted(spec: EdgeSpec, expectedWarnings: string[] = []): void {
  const problems = checkEnvoyBootstrap(renderEnvoyBootstrap(spec), { policy: true });
  expect(formatEnvoyProblems(problems.filter(isError))).toBe('');
  expect(problems.filter((p) => !isError(p)).map((p) => p.path)).toEqual(expectedWarnings);
}

function keysSortedWithoutUndefined(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(keysSortedWithoutUndefined);
  if (value === null || typeof value !== 'object') return value !== undefined;
  const keys = Object.keys(value);
  return (
    keys.join('\n') === [...keys].sort().join('\n') &&
    Object.values(value).every(keysSortedWithoutUndefined)
  );
}

describe('renderEnvoyBootstrap', () => {
  it("renders step 2's edge as stable YAML that Envoy's API accepts", () => {
    const yaml = renderEnvoyYaml(step2Edge);
    expect(yaml).toMatchSnapshot();
    expect(renderEnvoyYaml(step2Edge)).toBe(yaml);
    expect(checkEnvoyBootstrap(renderEnvoyBootstrap(step2Edge))).toEqual([]);
    // Envoy reads the YAML, not our object: it must read back to the same JSON.
    const read = parse(yaml) as JsonValue;
    expect(read).toEqual(renderEnvoyBootstrap(step2Edge));
    expect(checkEnvoyBootstrap(read)).toEqual([]);
  });

  it('health-checks the service with its readiness probe, body fields in order', () => {
    const bootstrap = renderEnvoyBootstrap(step2Edge) as {
      static_resources: { clusters: { health_checks: { http_health_check: unknown }[] }[] };
    };
    const check = bootstrap.static_resources.clusters[0]!.health_checks[0]!.http_health_check;
    expect(check).toEqual({
      path: '/user/health',
      receive: [
        { text: Buffer.from('"ok":true').toString('hex') },
        { text: Buffer.from('"database":"up"').toString('hex') },
      ],
    });
  });

  it('keeps the admin interface on loopback and sorts keys, with no undefined', () => {
    const bootstrap = renderEnvoyBootstrap(step2Edge);
    expect(bootstrap.admin).toEqual({
      address: { socket_address: { address: '127.0.0.1', port_value: 9901 } },
    });
    expect(keysSortedWithoutUndefined(bootstrap)).toBe(true);
  });

  it('renders every option into a configuration the API accepts', () => {
    expectAccepted(
      {
        name: 'front',
        listener: {
          port: 10000,
          address: '::',
          requestHeadersTimeoutMs: 5000,
          streamIdleTimeoutMs: 60_000,
          idleTimeoutMs: 120_000,
        },
        admin: { port: 9000 },
        accessLog: 'json',
        routes: [
          { pathPrefix: '/user', cluster: 'usersvc', timeoutMs: 2500, retry: false },
          {
            pathPrefix: '/api/v1',
            cluster: 'api',
            prefixRewrite: '/',
            retry: {
              attempts: 5,
              on: ['reset-before-request', 'refused-stream'],
              perTryTimeoutMs: 250,
            },
          },
          { pathPrefix: '/', cluster: 'api' },
        ],
        clusters: {
          usersvc: { port: 5000, healthCheck: { path: '/user/health' } },
          api: {
            host: 'api.internal',
            port: 8081,
            connectTimeoutMs: 250,
            dnsRefreshMs: 1000,
            healthCheck: {
              path: '/ready',
              expectJson: { status: 'ok', ready: true, replicas: 2 },
              intervalMs: 500,
              timeoutMs: 250,
              healthyThreshold: 2,
              unhealthyThreshold: 3,
            },
          },
        },
      },
      // A DNS refresh rate other than Envoy's default needs the field Envoy's API deprecates
      // (its replacement, the DNS cluster extension, is not in the Envoy 1.32 images).
      ['static_resources.clusters[0].dns_refresh_rate'],
    );
    expectAccepted({ accessLog: 'off', routes: [], clusters: {} });
  });

  it('matches whole path segments, and "/" everything', () => {
    const bootstrap = renderEnvoyBootstrap({
      routes: [
        { pathPrefix: '/user', cluster: 'u' },
        { pathPrefix: '/', cluster: 'u' },
      ],
      clusters: { u: { port: 1 } },
    });
    const yaml = JSON.stringify(bootstrap);
    expect(yaml).toContain('"match":{"path_separated_prefix":"/user"}');
    expect(yaml).toContain('"match":{"prefix":"/"}');
  });

  it('writes durations as protobuf JSON', () => {
    expect(duration(1500)).toBe('1.5s');
    expect(duration(250)).toBe('0.25s');
    expect(duration(300_000)).toBe('300s');
  });

  it('names the command that makes Envoy validate a configuration', () => {
    expect(envoyValidateCommand()).toEqual([
      'envoy',
      '--mode',
      'validate',
      '--config-path',
      '/etc/envoy/envoy.yaml',
      '--log-level',
      'warn',
    ]);
  });
});

describe('edgeFromServices', () => {
  it('reports routes to services that do not exist or have no probe', () => {
    const { problems } = edgeFromServices(
      {
        routes: [
          { pathPrefix: '/user', service: 'usersv' },
          { pathPrefix: '/db', service: 'postgres' },
        ],
      },
      [{ name: 'usersvc', httpProbe: { path: '/h', containerPort: 5000 } }, { name: 'postgres' }],
    );
    expect(problems).toEqual([
      { path: 'routes[0].service', message: 'no service "usersv"; did you mean "usersvc"?' },
      {
        path: 'routes[1].service',
        message:
          'service "postgres" has no httpProbe: the edge takes its port from it and health-checks it with it',
      },
    ]);
  });
});
