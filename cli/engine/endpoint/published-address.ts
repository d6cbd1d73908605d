/**
 * Where a published port answers, for the engine it is published on (DESIGN.md "Engines": the
 * addresses esteps prints are the engine host's). On this machine's engine, an unspecified
 * address (0.0.0.0, ::) is reached at 127.0.0.1. On a remote engine it is reached at the
 * engine host's address (the host of DOCKER_HOST or the context, as `docker-machine ip` gives
 * it); a port published on the remote host's loopback answers only there, and says so instead
 * of printing an address that does not answer. Pure: unit tested.
 */

/** What the address rules need of the engine (client.ts EngineEndpoint). */
export interface AddressEndpoint {
  readonly remote: boolean;
  /** The engine host's address (remote engines). */
  readonly address?: string;
}

/** A published port as the engine reports it. */
export interface PublishedBinding {
  readonly hostIp: string;
  readonly hostPort: number;
}

export type PublishedAddress =
  | { readonly reachable: true; readonly host: string; readonly port: number }
  | {
      readonly reachable: false;
      readonly port: number;
      /** e.g. `reachable only on the engine's host (build-box): published on its 127.0.0.1:5000` */
      readonly note: string;
    };

export function publishedAddress(
  binding: PublishedBinding,
  endpoint: AddressEndpoint,
): PublishedAddress {
  const { hostIp, hostPort: port } = binding;
  const unspecified = hostIp === '' || hostIp === '0.0.0.0' || hostIp === '::';
  if (!endpoint.remote) return { reachable: true, host: unspecified ? '127.0.0.1' : hostIp, port };
  const engineHost = endpoint.address ?? 'the engine host';
  if (unspecified) return { reachable: true, host: engineHost, port };
  if (isLoopback(hostIp)) {
    return {
      reachable: false,
      port,
      note: `reachable only on the engine's host (${engineHost}): published on its ${withPort(hostIp, port)}`,
    };
  }
  return { reachable: true, host: hostIp, port };
}

/** `http://host:port/path` for a reachable address; undefined for one that is not. */
export function publishedUrl(address: PublishedAddress, path = ''): string | undefined {
  return address.reachable ? `http://${withPort(address.host, address.port)}${path}` : undefined;
}

/** The address as text: a URL, or the note saying where it answers. */
export function describePublished(address: PublishedAddress, path = ''): string {
  return publishedUrl(address, path) ?? (address as { note: string }).note;
}

function withPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip === 'localhost' || /^127\./.test(ip) || /^::ffff:127\./i.test(ip);
}
