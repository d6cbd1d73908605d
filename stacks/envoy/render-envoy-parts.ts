/**
 * Pieces of Envoy's configuration that the HTTP edge (render-envoy.ts) and the TCP proxies
 * (render-envoy-tcp.ts) both write.
 */

/** Plain JSON, as Envoy reads its bootstrap (YAML is read as JSON). */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** The `typed_config` types esteps writes. */
export const envoyTypes = {
  httpConnectionManager:
    'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  router: 'envoy.extensions.filters.http.router.v3.Router',
  stdoutAccessLog: 'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
  previousHosts: 'envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
  tcpProxy: 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
} as const;

/** The type URL of an Any holding `name`. */
export const typeUrl = (name: string) => `type.googleapis.com/${name}`;

/** Envoy's default access-log fields, as JSON when asked. */
const jsonAccessLogFormat = {
  start_time: '%START_TIME%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  response_code: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  duration_ms: '%DURATION%',
  upstream_service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  x_forwarded_for: '%REQ(X-FORWARDED-FOR)%',
  user_agent: '%REQ(USER-AGENT)%',
  request_id: '%REQ(X-REQUEST-ID)%',
  authority: '%REQ(:AUTHORITY)%',
  upstream_host: '%UPSTREAM_HOST%',
};

export function stdoutAccessLog(format: 'text' | 'json'): JsonObject {
  return {
    name: 'envoy.access_loggers.stdout',
    typed_config: {
      '@type': typeUrl(envoyTypes.stdoutAccessLog),
      ...(format === 'json' ? { log_format: { json_format: jsonAccessLogFormat } } : {}),
    },
  };
}

/** Milliseconds as a protobuf JSON duration: 1500 -> "1.5s". */
export function duration(ms: number): string {
  return `${ms / 1000}s`;
}
