import { defineStack } from 'esteps';
import { describe, expect, it } from 'vitest';
import { checkStackEdges } from '../envoy/check-edges.js';
import { checkEnvoyBootstrap } from '../envoy/check-envoy.js';
import { StackInvalidError } from '../model/errors.js';
import type { EnvoySpec, StackSpec } from '../model/model.js';
import { edgeConfigFiles } from '../render/edge-files.js';
import { renderCompose } from '../render/render-compose.js';
import { resolveStack } from '../resolve/resolve-stack.js';
import step4 from './step4.js';

const file = '/repo/stacks/builtin/step4.ts';
const resolve = (spec: StackSpec) => resolveStack(spec, { file, project: 'demo', env: {} });
const usersvcOf = (spec: StackSpec) => resolve(spec).services.find((s) => s.name === 'usersvc')!;

function withProxy(envoy: EnvoySpec): StackSpec {
  return {
    ...step4,
    services: { ...step4.services, usersvc: { ...step4.services.usersvc, envoy } },
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

describe('the step4 stack', () => {
  it("is step 2 with an Envoy in the user service's container between it and Postgres", () => {
    expect(definitionProblems(step4)).toEqual([]);
    const usersvc = usersvcOf(step4);
    expect(usersvc.environment).toMatchObject({ PGHOST: '127.0.0.1', PGPORT: '5432' });
    expect(usersvc.build?.context).toBe('/repo/templates/usersvc-envoy');
    const bootstrap = usersvc.envoy!.bootstrap as {
      node: unknown;
      admin: unknown;
      static_resources: {
        listeners: Record<string, unknown>[];
        clusters: Record<string, unknown>[];
      };
    };
    expect(bootstrap.node).toEqual({ id: 'usersvc', cluster: 'usersvc' });
    expect(bootstrap.admin).toEqual({
      address: { socket_address: { address: '127.0.0.1', port_value: 9901 } },
    });
    // One listener, on the container's loopback, passing connections to postgres:5432.
    const [listener] = bootstrap.static_resources.listeners;
    expect(bootstrap.static_resources.listeners).toHaveLength(1);
    expect(listener!.address).toEqual({
      socket_address: { address: '127.0.0.1', port_value: 5432 },
    });
    expect(JSON.stringify(listener)).toContain(
      '"@type":"type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"',
    );
    expect(JSON.stringify(listener)).toContain('"cluster":"tcp_postgres_5432"');
    expect(bootstrap.static_resources.clusters).toEqual([
      expect.objectContaining({
        name: 'tcp_postgres_5432',
        type: 'STRICT_DNS',
        load_assignment: expect.objectContaining({
          endpoints: [
            {
              lb_endpoints: [
                {
                  endpoint: {
                    address: { socket_address: { address: 'postgres', port_value: 5432 } },
                  },
                },
              ],
            },
          ],
        }),
      }),
    ]);
  });

  it("passes Envoy's API and start-up checks with no warning, the edge's too", async () => {
    const resolved = resolve(step4);
    expect(await checkStackEdges(resolved)).toEqual([]);
    for (const service of resolved.services.filter((s) => s.envoy)) {
      expect(checkEnvoyBootstrap(service.envoy!.bootstrap, { policy: true }), service.name).toEqual(
        [],
      );
    }
  });

  it("keeps the user service's own readiness probe as its health check, not Envoy's /ready", () => {
    const usersvc = usersvcOf(step4);
    expect(usersvc.healthcheck).toBeUndefined();
    expect(usersvc.httpProbe?.path).toBe('/user/health');
    const compose = renderCompose(resolve(step4)).document as {
      services: Record<string, { healthcheck?: { test: string[] } }>;
    };
    expect(compose.services.usersvc!.healthcheck!.test.join(' ')).toContain(
      'http://127.0.0.1:5000/user/health',
    );
  });

  it("writes the user service's generated envoy.yaml into its build context", async () => {
    const resolved = resolve(step4);
    const files = await edgeConfigFiles(resolved, usersvcOf(step4));
    expect(Object.keys(files)).toEqual(['envoy.yaml']);
    expect(files['envoy.yaml']).toContain('Envoy configuration of service "usersvc"');
    expect(files['envoy.yaml']).toContain('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy');
  });

  it('refuses TCP proxies Envoy could not run, each with its path', () => {
    expect(
      definitionProblems(
        withProxy({
          routes: [],
          tcpProxies: [
            { listenerPort: 9901, service: 'postgress', port: 5432 },
            { listenerPort: 5000, service: 'postgres', port: 70000, idleTimeoutMs: -1 },
            { listenerPort: 6000, service: 'usersvc', port: 5432, connectTimeoutMs: 0 },
          ],
        }),
      ),
    ).toEqual([
      'services.usersvc.envoy.tcpProxies[0].listenerPort: 9901 is already taken by the admin interface',
      'services.usersvc.envoy.tcpProxies[0].service: no service "postgress"; did you mean "postgres"?',
      'services.usersvc.envoy.tcpProxies[1].port: must be a port from 1 to 65535, got 70000',
      'services.usersvc.envoy.tcpProxies[1].listenerPort: 5000 is already taken by usersvc itself',
      'services.usersvc.envoy.tcpProxies[1].idleTimeoutMs: must be a whole number of milliseconds, 0 or more (0: none), got -1',
      'services.usersvc.envoy.tcpProxies[2].connectTimeoutMs: must be a whole number of milliseconds, 1 or more, got 0',
      'services.usersvc.envoy.tcpProxies[2].service: a service cannot proxy to itself: its own processes reach it on its loopback',
    ]);
    expect(definitionProblems(withProxy({ routes: [] }))).toEqual([
      'services.usersvc.envoy.routes: an Envoy needs at least one route (or TCP proxy)',
    ]);
  });
});
