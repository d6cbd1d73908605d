import type { StackProblem } from '../model/errors.js';
import { didYouMean } from '../validate/suggest.js';
import type { EdgeClusterSpec, EdgeRetrySpec, EdgeSpec } from './edge-model.js';

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
  readonly routes: readonly EdgeServiceRoute[];
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
    },
    problems,
  };
}
