/**
 * Finding places in a parsed Envoy configuration, for the mutations (mutations.ts): plain
 * JSON, snake_case field names as the corpus writes them. Nothing here knows Envoy's API:
 * the sites are found by the shape of the configuration, so a mutation's verdict never comes
 * from the checker it tests.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (v: unknown): v is JsonObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : v == null ? [] : [v]);

export const objects = (v: Json | undefined): JsonObject[] => list(v).filter(isObject);

const typeUrl = (name: string) => `type.googleapis.com/${name}`;
export const types = {
  hcm: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  router: 'envoy.extensions.filters.http.router.v3.Router',
  tcpProxy: 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  echo: 'envoy.extensions.filters.network.echo.v3.Echo',
  cors: 'envoy.extensions.filters.http.cors.v3.Cors',
  stdout: 'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
};
export const typed = (name: string): JsonObject => ({ '@type': typeUrl(name) });

/** The type name of an Any. */
export function typeOf(v: Json | undefined): string | undefined {
  const url = isObject(v) ? v['@type'] : undefined;
  return typeof url === 'string' ? url.slice(url.lastIndexOf('/') + 1) : undefined;
}

export const staticResources = (c: JsonObject): JsonObject | undefined =>
  isObject(c.static_resources) ? c.static_resources : undefined;

export const listeners = (c: JsonObject): JsonObject[] => objects(staticResources(c)?.listeners);

export const clusters = (c: JsonObject): JsonObject[] => objects(staticResources(c)?.clusters);

export function chains(listener: JsonObject): JsonObject[] {
  return [...objects(listener.filter_chains), ...objects(listener.default_filter_chain)];
}

/** Every network filter of every listener, with the list it is in. */
export function networkFilters(c: JsonObject): { filter: JsonObject; filters: Json[] }[] {
  return listeners(c).flatMap((l) =>
    chains(l).flatMap((chain) =>
      Array.isArray(chain.filters)
        ? objects(chain.filters).map((filter) => ({ filter, filters: chain.filters as Json[] }))
        : [],
    ),
  );
}

/** The typed configurations of every HTTP connection manager. */
export function connectionManagers(c: JsonObject): JsonObject[] {
  return networkFilters(c).flatMap(({ filter }) =>
    typeOf(filter.typed_config) === types.hcm && isObject(filter.typed_config)
      ? [filter.typed_config]
      : [],
  );
}

export function virtualHosts(c: JsonObject): JsonObject[] {
  return connectionManagers(c).flatMap((hcm) =>
    isObject(hcm.route_config) ? objects(hcm.route_config.virtual_hosts) : [],
  );
}

export const routes = (c: JsonObject): JsonObject[] =>
  virtualHosts(c).flatMap((v) => objects(v.routes));

/** Routes that forward to one cluster by name (not a header, not weighted). */
export function clusterRoutes(c: JsonObject): JsonObject[] {
  return routes(c).filter((r) => isObject(r.route) && typeof r.route.cluster === 'string');
}

export const hasCds = (c: JsonObject): boolean =>
  isObject(c.dynamic_resources) && c.dynamic_resources.cds_config !== undefined;

export const clusterNames = (c: JsonObject): Set<string> =>
  new Set(clusters(c).flatMap((cl) => (typeof cl.name === 'string' ? [cl.name] : [])));

export const socketOf = (l: JsonObject): JsonObject | undefined =>
  isObject(l.address) && isObject(l.address.socket_address) ? l.address.socket_address : undefined;

/** The socket addresses of the listeners. */
export const sockets = (c: JsonObject): JsonObject[] =>
  listeners(c).flatMap((l) => {
    const s = socketOf(l);
    return s ? [s] : [];
  });

/** Listeners bound on TCP (not UDP, not internal): those that need filter chains. */
export const tcpListeners = (c: JsonObject): JsonObject[] =>
  listeners(c).filter((l) => {
    const s = socketOf(l);
    return (
      s !== undefined &&
      String(s.protocol ?? 'TCP').toUpperCase() === 'TCP' &&
      l.udp_listener_config === undefined &&
      l.api_listener === undefined
    );
  });

/** Clusters of a built-in type (not a custom cluster_type), with their type in upper case. */
export function builtInClusters(c: JsonObject): { cluster: JsonObject; type: string }[] {
  return clusters(c)
    .filter((cl) => cl.cluster_type === undefined && cl.load_balancing_policy === undefined)
    .map((cluster) => ({ cluster, type: String(cluster.type ?? 'STATIC').toUpperCase() }));
}

export const endpointAddresses = (cluster: JsonObject): JsonObject[] =>
  objects(isObject(cluster.load_assignment) ? cluster.load_assignment.endpoints : undefined)
    .flatMap((e) => objects(e.lb_endpoints))
    .flatMap((e) =>
      isObject(e.endpoint) &&
      isObject(e.endpoint.address) &&
      isObject(e.endpoint.address.socket_address)
        ? [e.endpoint.address.socket_address]
        : [],
    );

const durationKey = /(^|_)(timeout|interval|ttl|delay|refresh_rate|jitter|duration)$/;

/** Every value that looks like a duration ("5s") under a key named like one, outside any map. */
export function durations(
  v: Json,
  found: { parent: JsonObject; key: string }[] = [],
  inMap = false,
): { parent: JsonObject; key: string }[] {
  if (Array.isArray(v)) for (const item of v) durations(item, found, inMap);
  else if (isObject(v)) {
    for (const [key, item] of Object.entries(v)) {
      if (
        !inMap &&
        typeof item === 'string' &&
        /^\d+(\.\d+)?s$/.test(item) &&
        Number.parseFloat(item) > 0 &&
        durationKey.test(key)
      )
        found.push({ parent: v, key });
      // Maps and Structs hold free-form data: their keys are no fields.
      const map =
        /metadata|typed_per_filter_config|typed_extension_protocol_options|static_layer|^value$|configuration|fields/.test(
          key,
        );
      durations(item, found, inMap || map);
    }
  }
  return found;
}

/** Keys of an object (not "@type"), for the case and name mutations. */
export const camel = (key: string) =>
  key.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
