import type { StackProblem } from '../model/errors.js';
import { didYouMean } from '../validate/suggest.js';
import type { EdgeClusterSpec, EdgeRetrySpec, EdgeSpec, EdgeTcpProxySpec } from './edge-model.js';

/**
 * What a stack writes for its edge: routes to its services by name. Each service's port and
 * readiness probe come from the service itself (its `httpProbe`), so nothing is said twice; a
 * service routed to must have one.
 */
export interface EdgeRoutesSpec {
  /** @default 8080 */
  readonly listenerPort?: number;
  /** @default 9901 (on the container's loopback only) */
  readonly adminPort?: number;
  /** @default 'text' */
  readonly accessLog?: EdgeSpec['accessLog'];
  /** HTTP routes to services of the stack; `[]` for none (an Envoy with TCP proxies only). */
  readonly routes: readonly EdgeServiceRoute[];
  /**
   * TCP proxies from the service's own container: Envoy listens on the container's loopback
   * (127.0.0.1:listenerPort) and passes each connection to `service` at `port`, found by name on
   * a network both are on. The container's processes then reach that service at
   * 127.0.0.1:listenerPort. @default []
   */
  readonly tcpProxies?: readonly EdgeTcpProxy[];
}

export interface EdgeTcpProxy {
  /** Port Envoy listens on, on the container's loopback. */
  readonly listenerPort: number;
  /** A service of the stack, found by DNS under its name on a shared network. */
  readonly service: string;
  /** The service's port inside its containers. */
  readonly port: number;
  /** @default 1000 */
  readonly connectTimeoutMs?: number;
  /** Time an idle connection stays open. @default undefined: Envoy's (1 hour) */
  readonly idleTimeoutMs?: number;
}

export interface EdgeServiceRoute {
  /** As `EdgeRouteSpec.pathPrefix`: '/user' matches '/user' and '/user/...'. */
  readonly pathPrefix: string;
  /** A service of the stack, found by DNS under its name on the stack's network. */
  readonly service: string;
  /** @default 15000 */
  readonly timeoutMs?: number;
  /** @default { attempts: 2, on: ['connect-failure', 'reset'] } */
  readonly retry?: EdgeRetrySpec | false;
}

/** The little of a service that the edge needs (a `ResolvedService` has it). */
export interface EdgeUpstream {
  readonly name: string;
  readonly httpProbe?: {
    readonly path: string;
    readonly containerPort: number;
    readonly expectJson?: Readonly<Record<string, string | number | boolean>>;
  };
}

/**
 * The edge for a stack's routes: one cluster per service routed to, health-checked with the
 * service's readiness probe. Problems carry paths relative to the routes spec (`routes[0]`).
 */
export function edgeFromServices(
  edge: EdgeRoutesSpec,
  services: readonly EdgeUpstream[],
): { readonly spec: EdgeSpec; readonly problems: readonly StackProblem[] } {
  const problems: StackProblem[] = [];
  const clusters: Record<string, EdgeClusterSpec> = {};
  edge.routes.forEach((route, i) => {
    const service = services.find((s) => s.name === route.service);
    if (!service) {
      problems.push({
        path: `routes[${i}].service`,
        message: `no service "${route.service}"${didYouMean(
          route.service,
          services.map((s) => s.name),
        )}`,
      });
      return;
    }
    const probe = service.httpProbe;
    if (!probe) {
      problems.push({
        path: `routes[${i}].service`,
        message: `service "${service.name}" has no httpProbe: the edge takes its port from it and health-checks it with it`,
      });
      return;
    }
    clusters[service.name] = {
      port: probe.containerPort,
      healthCheck: {
        path: probe.path,
        ...(probe.expectJson ? { expectJson: probe.expectJson } : {}),
      },
    };
  });
  const tcpProxies: EdgeTcpProxySpec[] = [];
  edge.tcpProxies?.forEach((proxy, i) => {
    if (!services.some((s) => s.name === proxy.service)) {
      problems.push({
        path: `tcpProxies[${i}].service`,
        message: `no service "${proxy.service}"${didYouMean(
          proxy.service,
          services.map((s) => s.name),
        )}`,
      });
      return;
    }
    const cluster = tcpClusterName(proxy);
    clusters[cluster] = {
      host: proxy.service,
      port: proxy.port,
      ...(proxy.connectTimeoutMs !== undefined && { connectTimeoutMs: proxy.connectTimeoutMs }),
    };
    tcpProxies.push({
      listenerPort: proxy.listenerPort,
      cluster,
      ...(proxy.idleTimeoutMs !== undefined && { idleTimeoutMs: proxy.idleTimeoutMs }),
    });
  });
  return {
    spec: {
      listener: { port: edge.listenerPort },
      admin: { port: edge.adminPort },
      accessLog: edge.accessLog,
      routes: edge.routes.map((r) => ({
        pathPrefix: r.pathPrefix,
        cluster: r.service,
        timeoutMs: r.timeoutMs,
        retry: r.retry,
      })),
      clusters,
      ...(tcpProxies.length > 0 && { tcpProxies }),
    },
    problems,
  };
}

/** A TCP proxy's cluster: its own, apart from any HTTP route's to the same service. */
export function tcpClusterName(proxy: Pick<EdgeTcpProxy, 'service' | 'port'>): string {
  return `tcp_${proxy.service}_${proxy.port}`;
}
