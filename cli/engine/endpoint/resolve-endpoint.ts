import { join } from 'node:path';
import {
  defaultContextName,
  dockerConfigDir,
  readContext,
  readCurrentContext,
} from './docker-contexts.js';
import { type EndpointFiles, machineFiles } from './endpoint-files.js';
import { type EngineTransport, formatEngineHost, parseEngineHost } from './engine-host.js';
import { readTlsMaterial, type TlsMaterial } from './tls-material.js';

/** Which setting chose the engine, in the docker CLI's order. */
export type EndpointSource =
  | '--context'
  | 'DOCKER_HOST'
  | 'DOCKER_CONTEXT'
  | 'currentContext'
  | 'default socket'
  | 'rootless socket'
  | 'desktop socket';

/** One engine esteps may talk to, and why. */
export interface Endpoint {
  readonly source: EndpointSource;
  /** The docker context's name, when a context chose the engine. */
  readonly context?: string;
  /** The address, as `docker context ls` shows it: `unix:///…`, `tcp://h:p`, `ssh://u@h`. */
  readonly host: string;
  readonly transport: EngineTransport;
  /** Only with `tcp`. */
  readonly tls?: TlsMaterial;
}

/** One step of the walk and what it found, for messages: `DOCKER_HOST` / `not set`. */
export interface EndpointStep {
  readonly step: string;
  readonly found: string;
  /** The engine address this step led to, if any. */
  readonly host?: string;
}

export interface EndpointResolution {
  /**
   * The engine to use first. Only sockets found by looking (nothing set) have more than one:
   * the default, rootless and Desktop sockets that exist, in that order, to try in turn.
   */
  readonly candidates: readonly [Endpoint, ...Endpoint[]];
  /** Every step consulted, in order, up to the one that decided. */
  readonly tried: readonly EndpointStep[];
}

export interface ResolveEndpointInput {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--context NAME`: before everything else. */
  readonly context?: string;
  /** The home folder (`os.homedir()`, which follows $HOME, as the docker CLI does). */
  readonly home: string;
  /** This user's id, for the rootless socket when XDG_RUNTIME_DIR is not set. */
  readonly uid?: number;
  /** @default this machine's files */
  readonly files?: EndpointFiles;
}

/** The docker CLI's default socket. */
export const defaultSocketPath = '/var/run/docker.sock';

/**
 * Finds the engine as the docker CLI does, in its order: `--context`, `DOCKER_HOST`,
 * `DOCKER_CONTEXT`, `currentContext` in `$DOCKER_CONFIG/config.json`, then the default socket;
 * with nothing set, also the rootless socket and Docker Desktop's per-user sockets when they
 * exist (the docker CLI reaches those through a context or DOCKER_HOST that their installers
 * write; esteps also looks for them, after the default socket). A context named `default` is
 * the docker CLI's: DOCKER_HOST, else the sockets.
 */
export async function resolveEndpoint(input: ResolveEndpointInput): Promise<EndpointResolution> {
  const { env } = input;
  const files = input.files ?? machineFiles;
  const configDir = dockerConfigDir(env, input.home);
  const tried: EndpointStep[] = [];
  const fromContext = async (name: string, source: EndpointSource, where: string) => {
    if (name === defaultContextName) return defaultContext(input, files, configDir, tried, source);
    const context = await readContext(files, configDir, name, where);
    const transport = parseEngineHost(context.host, `context "${name}": host`);
    const last = tried.pop()!;
    tried.push({ ...last, host: formatEngineHost(transport) });
    const endpoint: Endpoint = {
      source,
      context: name,
      host: formatEngineHost(transport),
      transport,
      ...(transport.kind === 'tcp' && context.tls && { tls: context.tls }),
    };
    return { candidates: [endpoint], tried } as const;
  };

  if (input.context) {
    tried.push({ step: '--context', found: input.context });
    return fromContext(input.context, '--context', '--context');
  }
  tried.push({ step: '--context', found: 'not given' });
  if (env.DOCKER_HOST) return defaultContext(input, files, configDir, tried, 'DOCKER_HOST');
  tried.push({ step: 'DOCKER_HOST', found: 'not set' });
  if (env.DOCKER_CONTEXT) {
    tried.push({ step: 'DOCKER_CONTEXT', found: env.DOCKER_CONTEXT });
    return fromContext(env.DOCKER_CONTEXT, 'DOCKER_CONTEXT', 'DOCKER_CONTEXT');
  }
  tried.push({ step: 'DOCKER_CONTEXT', found: 'not set' });
  const configFile = join(configDir, 'config.json');
  const current = await readCurrentContext(files, configDir);
  tried.push({ step: `currentContext in ${configFile}`, found: current ?? 'none' });
  if (current) return fromContext(current, 'currentContext', `currentContext in ${configFile}`);
  return defaultContext(input, files, configDir, tried, 'default socket');
}

/** DOCKER_HOST (with the TLS variables) when set, else the sockets that exist. */
async function defaultContext(
  input: ResolveEndpointInput,
  files: EndpointFiles,
  configDir: string,
  tried: EndpointStep[],
  source: EndpointSource,
): Promise<EndpointResolution> {
  const { env } = input;
  if (env.DOCKER_HOST) {
    // As the docker CLI: any value of DOCKER_TLS_VERIFY turns verifying on (even "0").
    const verify = Boolean(env.DOCKER_TLS_VERIFY);
    const useTls = verify || Boolean(env.DOCKER_TLS);
    const transport = parseEngineHost(env.DOCKER_HOST, 'DOCKER_HOST', useTls);
    let tls: TlsMaterial | undefined;
    if (useTls && transport.kind === 'tcp') {
      const dir = env.DOCKER_CERT_PATH || configDir;
      const from = env.DOCKER_CERT_PATH
        ? `DOCKER_CERT_PATH=${dir}`
        : `${dir} (DOCKER_CERT_PATH not set)`;
      tls = await readTlsMaterial(files, dir, { verify, required: verify, from });
    }
    const host = formatEngineHost(transport);
    tried.push({ step: 'DOCKER_HOST', found: env.DOCKER_HOST, host });
    const endpoint: Endpoint = {
      source,
      ...(source !== 'DOCKER_HOST' && { context: defaultContextName }),
      host,
      transport,
      ...(tls && { tls }),
    };
    return { candidates: [endpoint], tried };
  }
  const found: Endpoint[] = [];
  for (const [sourceOfSocket, path] of userSockets(input)) {
    const exists = await files.isSocket(path);
    tried.push({
      step: sourceOfSocket,
      found: exists ? 'exists' : 'absent',
      host: `unix://${path}`,
    });
    if (!exists) continue;
    found.push(socketEndpoint(path, source === 'default socket' ? sourceOfSocket : source));
  }
  const first = found[0] ?? socketEndpoint(defaultSocketPath, source);
  return { candidates: [first, ...found.slice(1)], tried };
}

function socketEndpoint(path: string, source: EndpointSource): Endpoint {
  const transport: EngineTransport = { kind: 'unix', path };
  const viaContext =
    source === '--context' || source === 'DOCKER_CONTEXT' || source === 'currentContext';
  return {
    source,
    ...(viaContext && { context: defaultContextName }),
    host: formatEngineHost(transport),
    transport,
  };
}

/** The default socket, then the rootless one, then Docker Desktop's per-user ones. */
function userSockets(input: ResolveEndpointInput): [EndpointSource, string][] {
  const runtimeDir =
    input.env.XDG_RUNTIME_DIR ||
    (input.uid !== undefined && input.uid !== 0 ? `/run/user/${input.uid}` : undefined);
  return [
    ['default socket', defaultSocketPath],
    ...(runtimeDir ? [['rootless socket', join(runtimeDir, 'docker.sock')] as const] : []),
    ['desktop socket', join(input.home, '.docker', 'run', 'docker.sock')],
    ['desktop socket', join(input.home, '.docker', 'desktop', 'docker.sock')],
  ] as [EndpointSource, string][];
}
