import { homedir } from 'node:os';
import Docker from 'dockerode';
import { EstepsError } from '../errors.js';
import { dockerTransport } from './endpoint/docker-transport.js';
import { type EndpointFiles, machineFiles } from './endpoint/endpoint-files.js';
import { parseEngineHost } from './endpoint/engine-host.js';
import { noEngineAnswers } from './endpoint/no-engine-answers.js';
import {
  type Endpoint,
  type EndpointSource,
  resolveEndpoint,
} from './endpoint/resolve-endpoint.js';
import { tlsError } from './endpoint/tls-errors.js';

/** Which engine a command talks to, and whether it is on this machine. */
export interface EngineEndpoint {
  /** The setting that chose it, in the docker CLI's order (see resolveEndpoint). */
  readonly source: EndpointSource;
  /** The docker context's name, when a context chose it. */
  readonly context?: string;
  /** `unix:///var/run/docker.sock`, `tcp://10.0.0.5:2376`, `ssh://me@build-box`... */
  readonly host: string;
  /** True unless reached over a unix socket of this machine: its files and 127.0.0.1 are not ours. */
  readonly remote: boolean;
  /** The engine host's address, where its published ports answer (remote engines only). */
  readonly address?: string;
}

/**
 * The engine connection. No API version is pinned: requests go to the unversioned paths, which
 * the engine serves at its own version, so esteps talks to Engine 20.10 (API 1.41) here and to
 * current engines that refuse old versions alike. We keep to API 1.41 features.
 */
export interface Engine {
  readonly docker: Docker;
  /** The engine's API version, e.g. '1.41'. */
  readonly apiVersion: string;
  /** The engine's version, e.g. '20.10.24'. */
  readonly version: string;
  readonly endpoint: EngineEndpoint;
}

export interface ConnectOptions {
  /** `--context NAME`: before DOCKER_HOST and everything else. */
  readonly context?: string;
  /** How long the engine (and an SSH handshake) may take to answer. @default 5000 */
  readonly timeoutMs?: number;
  /** @default os.homedir() (which follows $HOME, as the docker CLI's does) */
  readonly home?: string;
  /** @default this machine's files */
  readonly files?: EndpointFiles;
  /**
   * The one call that proves the engine answers, instead of `GET /version` (e.g. the Swarm
   * target's manager check); apiVersion and version are then '' (not asked).
   */
  readonly check?: (docker: Docker, address: string) => Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Finds the engine as the docker CLI does (resolveEndpoint), connects, and checks it answers
 * within `timeoutMs`. With nothing set, the default, rootless and Desktop sockets that exist
 * are tried in turn. Errors: ENGINE_UNAVAILABLE naming every step tried, in order;
 * ENGINE_UNTRUSTED (an SSH host key or engine certificate esteps cannot verify);
 * ENGINE_AUTH_FAILED (SSH keys or client certificate refused); CONFIG_INVALID (a setting that
 * cannot be read).
 */
export async function connectEngine(
  env: Env,
  options: number | ConnectOptions = {},
): Promise<Engine> {
  const opts: ConnectOptions = typeof options === 'number' ? { timeoutMs: options } : options;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const home = opts.home ?? homedir();
  const files = opts.files ?? machineFiles;
  const resolution = await resolveEndpoint({
    env,
    home,
    files,
    ...(opts.context && { context: opts.context }),
    ...(process.getuid && { uid: process.getuid() }),
  });
  const failures: { endpoint: Endpoint; error: unknown; elapsedMs: number }[] = [];
  for (const endpoint of resolution.candidates) {
    const transport = await dockerTransport(endpoint, { env, home, files, timeoutMs });
    const docker = newDocker({ ...transport.options, timeout: timeoutMs });
    const started = Date.now();
    try {
      const info = opts.check
        ? await opts.check(docker, endpoint.host).then(() => ({ ApiVersion: '', Version: '' }))
        : ((await docker.version()) as { ApiVersion: string; Version: string });
      // Later calls (builds, logs, long waits) must not inherit the connect timeout.
      (docker.modem as unknown as { timeout?: number }).timeout = undefined;
      return {
        docker,
        apiVersion: info.ApiVersion,
        version: info.Version,
        endpoint: engineEndpoint(endpoint),
      };
    } catch (err) {
      transport.close();
      if (err instanceof EstepsError) throw err;
      const tls = tlsError(err, endpoint);
      if (tls) throw tls;
      failures.push({ endpoint, error: err, elapsedMs: Date.now() - started });
    }
  }
  throw noEngineAnswers(resolution, failures, timeoutMs);
}

/** What a command prints and returns about its engine. */
export function engineEndpoint(endpoint: Endpoint): EngineEndpoint {
  const t = endpoint.transport;
  return {
    source: endpoint.source,
    ...(endpoint.context && { context: endpoint.context }),
    host: endpoint.host,
    remote: t.kind !== 'unix',
    ...(t.kind !== 'unix' && { address: t.hostname }),
  };
}

/**
 * A Docker client; docker-modem reads DOCKER_CERT_PATH of this process itself when
 * DOCKER_HOST names TCP, and fails on files that are not there, even where TLS is not used.
 */
function newDocker(options: Docker.DockerOptions): Docker {
  try {
    return new Docker(options);
  } catch (cause) {
    throw new EstepsError(
      'CONFIG_INVALID',
      `The engine settings of this environment cannot be read: ${(cause as Error).message}.`,
      {
        hint: 'Check DOCKER_HOST and DOCKER_CERT_PATH (its ca.pem, cert.pem and key.pem), or unset them.',
        cause,
      },
    );
  }
}

/** The engine address DOCKER_HOST names, else the default socket (for messages). */
export function engineAddress(env: Env): string {
  return env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

/**
 * dockerode options for a `unix://` or `tcp://` DOCKER_HOST (no TLS, no SSH, no contexts): for
 * scripts and tests that reach a known engine, such as the test Swarm's nodes. Commands use
 * connectEngine.
 */
export function dockerOptions(env: Env): Docker.DockerOptions {
  const host = env.DOCKER_HOST;
  // docker-modem starts from the process's own DOCKER_HOST and lets its host win over a
  // socketPath we pass: `host: undefined` makes a socket mean the socket, whatever `env` is.
  if (!host) return { socketPath: '/var/run/docker.sock', host: undefined };
  const t = parseEngineHost(host, 'DOCKER_HOST');
  if (t.kind === 'unix') return { socketPath: t.path, host: undefined };
  if (t.kind === 'ssh') {
    throw new EstepsError('CONFIG_INVALID', `DOCKER_HOST=${host} needs connectEngine (SSH).`, {
      hint: 'Use connectEngine, or a unix:// or tcp:// address.',
    });
  }
  return { host: t.hostname, port: String(t.port), protocol: 'http' };
}

/** An engine that stopped answering in the middle of a command. */
export function engineUnavailable(env: Env, cause: unknown): EstepsError {
  const address = engineAddress(env);
  const reason = cause instanceof Error ? cause.message : String(cause);
  const hint = env.DOCKER_HOST
    ? `Check that an engine listens at DOCKER_HOST=${env.DOCKER_HOST}, or unset DOCKER_HOST to use the local one.`
    : 'Start the engine with `npm run setup` (it installs and starts one when it can), then retry.';
  return new EstepsError(
    'ENGINE_UNAVAILABLE',
    `No Docker engine answers at ${address} (${reason}).`,
    { hint, cause },
  );
}
