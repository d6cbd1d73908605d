import { EstepsError } from '../../errors.js';

/** How esteps reaches an engine: a unix socket of this machine, TCP (with or without TLS), or SSH. */
export type EngineTransport =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly hostname: string; readonly port: number }
  | {
      readonly kind: 'ssh';
      /** @default the SSH client's user (this process's user) */
      readonly user?: string;
      readonly hostname: string;
      /** @default 22 */
      readonly port: number;
    };

/** The docker CLI's default for a `tcp://` address without a port: 2376 with TLS, else 2375. */
export function defaultTcpPort(tls: boolean): number {
  return tls ? 2376 : 2375;
}

/**
 * Reads an engine address as the docker CLI does (`DOCKER_HOST`, a context's
 * `Endpoints.docker.Host`): `unix:///path`, `tcp://host[:port]` (a bare `host:port` is TCP
 * too) and `ssh://[user@]host[:port]`. `where` names the setting in the error for anything
 * else: `npipe://` is Windows only, `fd://` is for the daemon, and an SSH address carries
 * neither a password nor a path (the docker CLI refuses both too).
 */
export function parseEngineHost(value: string, where: string, tls = false): EngineTransport {
  const invalid = (reason: string, cause?: unknown) =>
    new EstepsError('CONFIG_INVALID', `${where}=${value} is not an engine address: ${reason}.`, {
      hint: 'Use unix:///path/to/docker.sock, tcp://HOST[:PORT] or ssh://[USER@]HOST[:PORT].',
      cause,
    });
  if (value.startsWith('unix://')) {
    const path = value.slice('unix://'.length);
    if (!path.startsWith('/')) throw invalid('a unix socket needs an absolute path');
    return { kind: 'unix', path };
  }
  const withScheme = value.includes('://') ? value : `tcp://${value}`;
  const scheme = withScheme.slice(0, withScheme.indexOf('://'));
  if (scheme !== 'tcp' && scheme !== 'ssh') throw invalid(`esteps does not reach ${scheme}://`);
  let url: URL;
  try {
    // URL parses authority, user and port only for special schemes: read it as http.
    url = new URL(`http${withScheme.slice(scheme.length)}`);
  } catch (cause) {
    throw invalid('not a URL', cause);
  }
  if (!url.hostname) throw invalid('no host');
  if (url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw invalid(`extra path after the host (${url.pathname}${url.search})`);
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (scheme === 'tcp') {
    if (url.username || url.password) throw invalid('a tcp:// address carries no user');
    return { kind: 'tcp', hostname, port: Number(url.port) || defaultTcpPort(tls) };
  }
  if (url.password) throw invalid('plain-text passwords are not supported: use a key');
  return {
    kind: 'ssh',
    ...(url.username && { user: decodeURIComponent(url.username) }),
    hostname,
    port: Number(url.port) || 22,
  };
}

/** The transport as an address, the way `docker context ls` shows it. */
export function formatEngineHost(transport: EngineTransport): string {
  if (transport.kind === 'unix') return `unix://${transport.path}`;
  const host = transport.hostname.includes(':') ? `[${transport.hostname}]` : transport.hostname;
  if (transport.kind === 'tcp') return `tcp://${host}:${transport.port}`;
  const user = transport.user ? `${encodeURIComponent(transport.user)}@` : '';
  return `ssh://${user}${host}${transport.port === 22 ? '' : `:${transport.port}`}`;
}
