/**
 * The typed model of Envoy at the edge of a stack: what esteps stacks need and nothing more.
 * One HTTP listener, routes by path prefix, and one cluster per upstream service, found by DNS
 * on the stack's network and actively health-checked against the service's readiness probe.
 * `renderEnvoyBootstrap()` turns it into Envoy's v3 bootstrap; `checkEnvoyBootstrap()` checks
 * that against Envoy's own API. Durations are milliseconds, as everywhere in esteps.
 */
export interface EdgeSpec {
  /** Envoy's node id and cluster, and the prefix of its HTTP statistics. @default 'edge' */
  readonly name?: string;
  /** @default { port: 8080 } */
  readonly listener?: EdgeListenerSpec;
  /**
   * Routes in the order Envoy tries them: the first whose prefix matches the request's path
   * wins; a request no route matches gets Envoy's 404. With none, there is no HTTP listener.
   */
  readonly routes: readonly EdgeRouteSpec[];
  /** TCP proxies: a listener on the container's loopback per proxy. @default [] */
  readonly tcpProxies?: readonly EdgeTcpProxySpec[];
  /** Upstream services by cluster name (what routes name). */
  readonly clusters: Readonly<Record<string, EdgeClusterSpec>>;
  /** @default { port: 9901 } */
  readonly admin?: EdgeAdminSpec;
  /**
   * One line per request on Envoy's stdout (`docker logs`): Envoy's default text format, or
   * one JSON object per line with the same fields. @default 'text'
   */
  readonly accessLog?: 'text' | 'json' | 'off';
}

export interface EdgeListenerSpec {
  /** Port Envoy listens on inside its container; publishing decides who reaches it. @default 8080 */
  readonly port?: number;
  /** @default '0.0.0.0' (every interface of the container) */
  readonly address?: string;
  /**
   * Time a client has to send its request headers; closes connections that trickle them
   * (Envoy's edge best practice). @default 10000
   */
  readonly requestHeadersTimeoutMs?: number;
  /** Time a request or response may go without any byte moving. @default 300000 (Envoy's) */
  readonly streamIdleTimeoutMs?: number;
  /** Time an idle client connection stays open. @default 3600000 (Envoy's) */
  readonly idleTimeoutMs?: number;
}

export interface EdgeRouteSpec {
  /**
   * Path prefix, whole segments only: '/user' matches '/user' and '/user/alice' but not
   * '/users' (Envoy's `path_separated_prefix`); '/' matches every path. Must start with '/'
   * and, unless it is '/', must not end with one.
   */
  readonly pathPrefix: string;
  /** Name of the cluster (a key of `EdgeSpec.clusters`) that serves the route. */
  readonly cluster: string;
  /** Replaces the matched prefix before the request goes upstream. @default undefined: kept */
  readonly prefixRewrite?: string;
  /** Whole request, retries included, until the response has begun. @default 15000 (Envoy's) */
  readonly timeoutMs?: number;
  /** Retries; `false` for none. @default { attempts: 2, on: ['connect-failure', 'reset'] } */
  readonly retry?: EdgeRetrySpec | false;
}

/**
 * When Envoy retries a request (Envoy's `retry_on` names). 'reset' also retries a request whose
 * upstream connection broke after it was sent, so a non-idempotent request may run twice;
 * 'reset-before-request' does not (Envoy 1.31 and later).
 */
export type EdgeRetryCondition =
  | 'connect-failure'
  | 'reset'
  | 'reset-before-request'
  | 'refused-stream'
  | 'gateway-error'
  | '5xx'
  | 'retriable-4xx';

export interface EdgeRetrySpec {
  /** Retries after the first attempt. @default 2 */
  readonly attempts?: number;
  /** @default ['connect-failure', 'reset'] */
  readonly on?: readonly EdgeRetryCondition[];
  /** Time allowed for each attempt. @default undefined: the route's `timeoutMs` */
  readonly perTryTimeoutMs?: number;
}

/**
 * A TCP proxy: Envoy listens on the container's loopback (127.0.0.1:listenerPort) and passes
 * each connection on to a cluster, byte for byte (what step 4 puts between the user service
 * and Postgres).
 */
export interface EdgeTcpProxySpec {
  /** Port on 127.0.0.1 inside the container, for the processes of that container only. */
  readonly listenerPort: number;
  /** Name of the cluster (a key of `EdgeSpec.clusters`) connections go to. */
  readonly cluster: string;
  /**
   * Time a connection may go with no byte in either direction before Envoy closes it.
   * @default undefined: Envoy's (1 hour)
   */
  readonly idleTimeoutMs?: number;
}

export interface EdgeClusterSpec {
  /**
   * DNS name of the service on the stack's network (Docker's DNS answers with every running
   * replica). @default the cluster's name
   */
  readonly host?: string;
  /** The service's port inside its containers. */
  readonly port: number;
  /** @default 1000 */
  readonly connectTimeoutMs?: number;
  /**
   * How often Envoy asks DNS again, so replicas that come and go are seen. Docker's DNS gives
   * a 600 s TTL, so the TTL is deliberately not used. @default 5000
   */
  readonly dnsRefreshMs?: number;
  /** Active health checking of every host; `false` for none. @default undefined: none */
  readonly healthCheck?: EdgeHealthCheckSpec | false;
}

/**
 * An HTTP GET that Envoy sends to every host of a cluster: the host takes traffic only while
 * the answer is 200 and (with `expectJson`) its body carries the expected fields.
 */
export interface EdgeHealthCheckSpec {
  /** Path of the service's readiness probe, e.g. '/user/health'. */
  readonly path: string;
  /**
   * Top-level fields the JSON answer must carry, e.g. `{ ok: true, database: 'up' }`. Envoy
   * matches them as text (`"ok":true`, then `"database":"up"`), in this order, within the
   * first 1024 bytes of the body: list them in the order the service writes them.
   * @default {} (any 200 answer is healthy)
   */
  readonly expectJson?: Readonly<Record<string, string | number | boolean>>;
  /** @default 2000 */
  readonly intervalMs?: number;
  /** @default 1000 */
  readonly timeoutMs?: number;
  /** Failed checks in a row before a host stops taking traffic. @default 2 */
  readonly unhealthyThreshold?: number;
  /** Passed checks in a row before a host takes traffic again. @default 1 */
  readonly healthyThreshold?: number;
}

export interface EdgeAdminSpec {
  /**
   * Port of Envoy's admin interface. It always listens on the container's loopback
   * (127.0.0.1) only: it can stop Envoy and change what it serves, so it is never published.
   * @default 9901
   */
  readonly port?: number;
}

/** The defaults the doc comments above name, in one place. */
export const edgeDefaults = {
  name: 'edge',
  listenerPort: 8080,
  listenerAddress: '0.0.0.0',
  requestHeadersTimeoutMs: 10_000,
  streamIdleTimeoutMs: 300_000,
  idleTimeoutMs: 3_600_000,
  routeTimeoutMs: 15_000,
  retryAttempts: 2,
  retryOn: ['connect-failure', 'reset'] as readonly EdgeRetryCondition[],
  connectTimeoutMs: 1000,
  dnsRefreshMs: 5000,
  healthIntervalMs: 2000,
  healthTimeoutMs: 1000,
  unhealthyThreshold: 2,
  healthyThreshold: 1,
  adminPort: 9901,
  accessLog: 'text',
} as const;

/** Where the edge image keeps its configuration: the official Envoy image's own default. */
export const envoyConfigPath = '/etc/envoy/envoy.yaml';
