import { isIP } from 'node:net';
import {
  at,
  enumName,
  filterChains,
  hcmType,
  items,
  listeners,
  member,
  type Node,
  number,
  text,
  typed,
} from './envoy-config-walk.js';
import { childPath, type EnvoyProblem, isObject } from './envoy-paths.js';
import { startupProblem } from './startup-checks.js';

/**
 * Network filters that end a chain (they take the connection over), and those that pass it on,
 * by type. A filter of neither list (Wasm, dynamic modules, Go) decides at run time: not checked.
 */
const terminal = new Set(
  [
    'http_connection_manager.v3.HttpConnectionManager',
    'tcp_proxy.v3.TcpProxy',
    'redis_proxy.v3.RedisProxy',
    'thrift_proxy.v3.ThriftProxy',
    'dubbo_proxy.v3.DubboProxy',
    'direct_response.v3.Config',
    'echo.v3.Echo',
    'generic_proxy.v3.GenericProxy',
    'kafka_mesh.v3alpha.KafkaMesh',
    'rocketmq_proxy.v3.RocketmqProxy',
    'sip_proxy.v3alpha.SipProxy',
  ].map((t) => `envoy.extensions.filters.network.${t}`),
);
const nonTerminal = new Set(
  [
    'connection_limit.v3.ConnectionLimit',
    'ext_authz.v3.ExtAuthz',
    'ext_proc.v3.NetworkExternalProcessor',
    'local_ratelimit.v3.LocalRateLimit',
    'mongo_proxy.v3.MongoProxy',
    'mysql_proxy.v3.MySQLProxy',
    'postgres_proxy.v3alpha.PostgresProxy',
    'ratelimit.v3.RateLimit',
    'rbac.v3.RBAC',
    'set_filter_state.v3.Config',
    'sni_cluster.v3.SniCluster',
    'sni_dynamic_forward_proxy.v3.FilterConfig',
    'zookeeper_proxy.v3.ZooKeeperProxy',
    'kafka_broker.v3.KafkaBroker',
    'client_ssl_auth.v3.ClientSSLAuth',
    'geoip.v3.Geoip',
  ].map((t) => `envoy.extensions.filters.network.${t}`),
);

/** A listening socket, and where its address and port are written. */
export interface Socket {
  readonly address: string;
  readonly port: number;
  readonly protocol: string;
  readonly addressPath: string;
  readonly portPath: string;
  readonly what: string;
}

/** The socket an Address names (socket_address with a port), or undefined. */
export function socketOf(address: Node | undefined, what: string): Socket | undefined {
  const socket = member(address, 'socket_address');
  const host = member(socket, 'address');
  const port = member(socket, 'port_value');
  const portNumber = number(port);
  if (typeof host?.value !== 'string' || portNumber === undefined || !port) return undefined;
  const protocol = enumName(member(socket, 'protocol'));
  return {
    address: host.value,
    port: portNumber,
    protocol: protocol === 'UDP' || protocol === 1 ? 'UDP' : 'TCP',
    addressPath: host.path,
    portPath: port.path,
    what,
  };
}

/** Envoy's checks of each static listener; returns the sockets they bind. */
export function checkListeners(root: Node, problems: EnvoyProblem[]): Socket[] {
  const sockets: Socket[] = [];
  const names = new Map<string, string>();
  for (const listener of listeners(root)) {
    const name = text(member(listener, 'name'));
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined) {
        problems.push(
          startupProblem(
            'listener-name-unique',
            childPath(listener.path, 'name'),
            `another listener is also called ${JSON.stringify(name)} (${first}): Envoy keeps the first and ignores this one`,
          ),
        );
      } else names.set(name, listener.path);
    }
    const socket = checkAddress(listener, problems);
    const bound = member(listener, 'bind_to_port')?.value !== false;
    if (socket && bound) sockets.push(socket);
    const protocol = enumName(at(listener, 'address', 'socket_address', 'protocol'));
    const udp =
      protocol === 'UDP' || protocol === 1 || member(listener, 'udp_listener_config') !== undefined;
    const api = member(listener, 'api_listener') !== undefined;
    const chains = filterChains(listener);
    if (chains.length === 0 && !udp && !api) {
      problems.push(
        startupProblem(
          'listener-filter-chains',
          listener.path,
          'has no filter chains (and no default_filter_chain): Envoy refuses a TCP listener with nothing to hand its connections to ("no filter chains specified")',
        ),
      );
    }
    checkChainMatches(listener, problems);
    for (const chain of chains) checkNetworkFilters(chain, problems);
    checkHttp3(listener, chains, problems);
  }
  return sockets;
}

function checkAddress(listener: Node, problems: EnvoyProblem[]): Socket | undefined {
  const address = member(listener, 'address');
  if (!address) {
    if (!member(listener, 'internal_listener')) {
      problems.push(
        startupProblem(
          'listener-address',
          listener.path,
          'has no address: Envoy needs one to listen on',
        ),
      );
    }
    return undefined;
  }
  const socket = socketOf(address, `the listener at ${listener.path}`);
  checkIp(
    member(member(address, 'socket_address'), 'address'),
    member(address, 'socket_address'),
    problems,
  );
  return socket;
}

/** Envoy listens on IP addresses only; a name would need a resolver it does not use here. */
export function checkIp(
  host: Node | undefined,
  socket: Node | undefined,
  problems: EnvoyProblem[],
): void {
  if (typeof host?.value !== 'string' || isIP(host.value) !== 0) return;
  if (member(socket, 'resolver_name')) return;
  problems.push(
    startupProblem(
      'listener-ip',
      host.path,
      `${JSON.stringify(host.value)} is not an IP address: Envoy listens on IP addresses only ("malformed IP address")${host.value === 'localhost' ? '; did you mean "127.0.0.1"?' : ''}`,
      host.value === 'localhost' ? '127.0.0.1' : undefined,
    ),
  );
}

/** The same `filter_chain_match` twice, or a partial wildcard in `server_names`. */
function checkChainMatches(listener: Node, problems: EnvoyProblem[]): void {
  const usesMatcher = member(listener, 'filter_chain_matcher') !== undefined;
  const seen = new Map<string, string>();
  for (const chain of items(member(listener, 'filter_chains'))) {
    const match = member(chain, 'filter_chain_match');
    for (const server of items(member(match, 'server_names'))) {
      const value = text(server);
      if (value?.includes('*') && !(value.startsWith('*.') && !value.slice(1).includes('*'))) {
        problems.push(
          startupProblem(
            'server-names-wildcard',
            server.path,
            `${JSON.stringify(value)} has a partial wildcard: Envoy takes "*." followed by a domain only`,
          ),
        );
      }
    }
    if (usesMatcher) continue;
    const key = canonical(match?.value ?? {});
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push(
        startupProblem(
          'filter-chain-match-unique',
          match?.path ?? chain.path,
          `matches the same connections as the filter chain at ${first}: Envoy refuses two chains with the same matching rules`,
        ),
      );
    } else seen.set(key, chain.path);
  }
}

/** A value with snake_case keys, sorted, and empty members left out, as one string. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (!isObject(value)) return JSON.stringify(value);
  const members = Object.entries(value)
    .filter(([, v]) => v !== null && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), canonical(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${members.map(([k, v]) => `${k}:${v}`).join(',')}}`;
}

function checkNetworkFilters(chain: Node, problems: EnvoyProblem[]): void {
  const filters = items(member(chain, 'filters'));
  filters.forEach((filter, i) => {
    const type = typed(member(filter, 'typed_config'))?.type;
    if (!type) return;
    const last = i === filters.length - 1;
    const name = text(member(filter, 'name')) ?? '(unnamed)';
    if (terminal.has(type) && !last) {
      problems.push(
        startupProblem(
          'network-filter-terminal',
          filter.path,
          `${name} (${type}) is a terminal filter: it takes the connection over, so it must be the last filter of its chain (${filters.length - 1 - i} after it would never run)`,
        ),
      );
    } else if (nonTerminal.has(type) && last) {
      problems.push(
        startupProblem(
          'network-filter-terminal',
          filter.path,
          `${name} (${type}) is the last filter of its chain but passes connections on: end the chain with a terminal filter (tcp_proxy, http_connection_manager, ...)`,
        ),
      );
    }
  });
}

/** HTTP/3 runs on QUIC listeners (UDP, with quic_options) and nothing else does. */
function checkHttp3(listener: Node, chains: readonly Node[], problems: EnvoyProblem[]): void {
  const quic = at(listener, 'udp_listener_config', 'quic_options') !== undefined;
  for (const chain of chains) {
    for (const filter of items(member(chain, 'filters'))) {
      const config = typed(member(filter, 'typed_config'));
      if (config?.type !== hcmType) continue;
      const codec = member(config.fields, 'codec_type');
      const http3 = enumName(codec) === 'HTTP3' || enumName(codec) === 3;
      if (http3 && !quic) {
        problems.push(
          startupProblem(
            'http3-codec',
            codec!.path,
            'is HTTP3, but the listener is not a QUIC listener (udp_listener_config.quic_options)',
          ),
        );
      } else if (quic && !http3) {
        problems.push(
          startupProblem(
            'http3-codec',
            codec?.path ?? filter.path,
            'the listener is a QUIC listener: its HTTP connection manager needs codec_type HTTP3',
          ),
        );
      }
    }
  }
}

/**
 * No two sockets on one address and port of one protocol: two listeners on the very same one
 * (Envoy's duplicate address check; listeners set SO_REUSEPORT, so a wildcard and a specific
 * address may share a port), or a listener where the admin interface listens (it binds
 * without SO_REUSEPORT, first).
 */
export function checkSockets(sockets: readonly Socket[], problems: EnvoyProblem[]): void {
  const isAny = (address: string) => address === '0.0.0.0' || address === '::';
  const admin = (s: Socket) => s.what === 'the admin interface';
  sockets.forEach((socket, i) => {
    const earlier = sockets
      .slice(0, i)
      .find(
        (s) =>
          s.port === socket.port &&
          s.port !== 0 &&
          s.protocol === socket.protocol &&
          (s.address === socket.address ||
            ((admin(s) || admin(socket)) && (isAny(s.address) || isAny(socket.address)))),
      );
    if (earlier) {
      problems.push(
        startupProblem(
          'socket-unique',
          socket.portPath,
          `port ${socket.port} is already taken by ${earlier.what}`,
        ),
      );
    }
  });
}
