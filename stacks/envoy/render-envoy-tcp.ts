import type { EdgeTcpProxySpec } from './edge-model.js';
import {
  duration,
  envoyTypes,
  type JsonObject,
  stdoutAccessLog,
  typeUrl,
} from './render-envoy-parts.js';

/**
 * A TCP proxy's listener: on the container's loopback only (the container's own processes are
 * its clients), every connection passed to the proxy's cluster as it comes, logged on close as
 * the edge logs requests.
 */
export function tcpListener(
  proxy: EdgeTcpProxySpec,
  accessLog: 'text' | 'json' | 'off',
): JsonObject {
  return {
    name: `${proxy.cluster}_listener`,
    address: { socket_address: { address: '127.0.0.1', port_value: proxy.listenerPort } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typed_config: {
              '@type': typeUrl(envoyTypes.tcpProxy),
              stat_prefix: proxy.cluster,
              cluster: proxy.cluster,
              ...(proxy.idleTimeoutMs !== undefined && {
                idle_timeout: duration(proxy.idleTimeoutMs),
              }),
              ...(accessLog !== 'off' && { access_log: [stdoutAccessLog(accessLog)] }),
            },
          },
        ],
      },
    ],
  };
}
