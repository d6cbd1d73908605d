import type { StackProblem } from '../model/errors.js';
import type { ServiceSpec, StackSpec } from '../model/model.js';
import { didYouMean } from '../validate/suggest.js';
import type { EdgeRoutesSpec } from './edge-from-services.js';
import { edgeDefaults } from './edge-model.js';

/** The little of a stack a service's Envoy needs to know: services and their networks. */
export interface EdgeSurroundings {
  /** The service Envoy runs in. */
  readonly name: string;
  /** Every other service of the stack, with the networks it is on. */
  readonly services: Readonly<Record<string, { readonly networks: readonly string[] }>>;
  /** The networks of the service Envoy runs in. */
  readonly networks: readonly string[];
  /** Ports the service's own processes listen on in its container (its probe, its ports). */
  readonly ownPorts: readonly number[];
}

/**
 * What an Envoy spec of a stack (an edge's routes, a service's TCP proxies) must say before
 * anything is rendered, with paths relative to the `envoy` field (`routes[0].timeoutMs`):
 * timeouts that Envoy would refuse (negative: "Expected positive duration") or that mean
 * nothing (a per-try timeout of 0, or one longer than the whole request's), and TCP proxies
 * that name a service Envoy can reach, on ports no one else in the container takes.
 */
export function edgeSpecProblems(envoy: EdgeRoutesSpec, around: EdgeSurroundings): StackProblem[] {
  const problems: StackProblem[] = [];
  const report = (path: string, message: string) => problems.push({ path, message });
  envoy.routes.forEach((route, i) => {
    const at = `routes[${i}]`;
    const timeout = route.timeoutMs;
    if (timeout !== undefined && !wholeAtLeast(timeout, 0)) {
      report(
        `${at}.timeoutMs`,
        `must be a whole number of milliseconds, 0 or more (0: no timeout), got ${timeout}`,
      );
    }
    const retry = route.retry;
    const perTry = retry === false || retry === undefined ? undefined : retry.perTryTimeoutMs;
    if (perTry === undefined) return;
    const total = timeout ?? edgeDefaults.routeTimeoutMs;
    if (!wholeAtLeast(perTry, 1)) {
      report(
        `${at}.retry.perTryTimeoutMs`,
        `must be a whole number of milliseconds, 1 or more, got ${perTry}${perTry === 0 ? ": leave it out to give each try the route's timeout" : ''}`,
      );
    } else if (wholeAtLeast(total, 1) && perTry > total) {
      report(
        `${at}.retry.perTryTimeoutMs`,
        `${perTry} is longer than the route's whole timeout (${total} ms): no try can run that long`,
      );
    }
  });
  checkTcpProxies(envoy, around, report);
  return problems;
}

function checkTcpProxies(
  envoy: EdgeRoutesSpec,
  around: EdgeSurroundings,
  report: (path: string, message: string) => void,
): void {
  const taken = new Map<number, string>([
    [envoy.adminPort ?? edgeDefaults.adminPort, 'the admin interface'],
  ]);
  if (envoy.routes.length > 0)
    taken.set(envoy.listenerPort ?? edgeDefaults.listenerPort, 'the HTTP listener');
  for (const port of around.ownPorts)
    if (!taken.has(port)) taken.set(port, `${around.name} itself`);
  envoy.tcpProxies?.forEach((proxy, i) => {
    const at = `tcpProxies[${i}]`;
    for (const [key, value] of [
      ['listenerPort', proxy.listenerPort],
      ['port', proxy.port],
    ] as const) {
      if (!wholeAtLeast(value, 1) || value > 65535)
        report(`${at}.${key}`, `must be a port from 1 to 65535, got ${value}`);
    }
    const owner = taken.get(proxy.listenerPort);
    if (owner !== undefined)
      report(`${at}.listenerPort`, `${proxy.listenerPort} is already taken by ${owner}`);
    taken.set(proxy.listenerPort, `tcpProxies[${i}]`);
    if (proxy.connectTimeoutMs !== undefined && !wholeAtLeast(proxy.connectTimeoutMs, 1)) {
      report(
        `${at}.connectTimeoutMs`,
        `must be a whole number of milliseconds, 1 or more, got ${proxy.connectTimeoutMs}`,
      );
    }
    if (proxy.idleTimeoutMs !== undefined && !wholeAtLeast(proxy.idleTimeoutMs, 0)) {
      report(
        `${at}.idleTimeoutMs`,
        `must be a whole number of milliseconds, 0 or more (0: none), got ${proxy.idleTimeoutMs}`,
      );
    }
    const target = around.services[proxy.service];
    if (proxy.service === around.name) {
      report(
        `${at}.service`,
        'a service cannot proxy to itself: its own processes reach it on its loopback',
      );
    } else if (!target) {
      report(
        `${at}.service`,
        `no service "${proxy.service}"${didYouMean(proxy.service, Object.keys(around.services))}`,
      );
    } else if (!target.networks.some((n) => around.networks.includes(n))) {
      report(
        `${at}.service`,
        `"${proxy.service}" shares no network with "${around.name}": Envoy finds it by name on a network they are both on`,
      );
    }
  });
}

/**
 * The problems of service `name`'s `envoy` field in a stack, with their paths in the stack
 * (`services.edge.envoy.routes[0].timeoutMs`): what validateStack adds to its other checks.
 */
export function stackEnvoyProblems(spec: StackSpec, name: string): StackProblem[] {
  const service = spec.services[name]!;
  const networksOf = (s: ServiceSpec) => s.networks ?? Object.keys(spec.networks ?? {});
  const others = Object.entries(spec.services).filter(([n]) => n !== name);
  const around: EdgeSurroundings = {
    name,
    networks: networksOf(service),
    services: Object.fromEntries(others.map(([n, s]) => [n, { networks: networksOf(s) }])),
    ownPorts: [
      ...(service.httpProbe ? [service.httpProbe.containerPort] : []),
      ...(service.ports ?? []).map((p) => p.containerPort),
    ],
  };
  return edgeSpecProblems(service.envoy!, around).map((p) => ({
    path: `services.${name}.envoy.${p.path}`,
    message: p.message,
  }));
}

const wholeAtLeast = (n: number, min: number) => Number.isInteger(n) && n >= min;
