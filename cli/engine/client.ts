import Docker from 'dockerode';
import { EstepsError } from '../errors.js';

/**
 * The engine connection. dockerode reads DOCKER_HOST (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)
 * itself; with none set it uses the default socket. No API version is pinned: requests go to
 * the unversioned paths, which the engine serves at its own version, so esteps talks to
 * Engine 20.10 (API 1.41) here and to current engines that refuse old versions alike. We keep
 * to API 1.41 features.
 */
export interface Engine {
  readonly docker: Docker;
  /** The engine's API version, e.g. '1.41'. */
  readonly apiVersion: string;
  /** The engine's version, e.g. '20.10.24'. */
  readonly version: string;
}

export function engineAddress(env: Readonly<Record<string, string | undefined>>): string {
  return env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

/** Connects and checks the engine answers, within `timeoutMs`. */
export async function connectEngine(
  env: Readonly<Record<string, string | undefined>> = process.env,
  timeoutMs = 5000,
): Promise<Engine> {
  const docker = new Docker({ ...dockerOptions(env), timeout: timeoutMs });
  try {
    const info = (await docker.version()) as { ApiVersion: string; Version: string };
    // Later calls (builds, logs, long waits) must not inherit the connect timeout.
    (docker.modem as unknown as { timeout?: number }).timeout = undefined;
    return { docker, apiVersion: info.ApiVersion, version: info.Version };
  } catch (err) {
    throw engineUnavailable(env, err);
  }
}

/** dockerode options for DOCKER_HOST as the docker client reads it (unix://, tcp://). */
export function dockerOptions(
  env: Readonly<Record<string, string | undefined>>,
): Docker.DockerOptions {
  const host = env.DOCKER_HOST;
  // docker-modem starts from the process's own DOCKER_HOST and lets its host win over a
  // socketPath we pass: `host: undefined` makes a socket mean the socket, whatever `env` is.
  if (!host) return { socketPath: '/var/run/docker.sock', host: undefined };
  if (host.startsWith('unix://')) {
    return { socketPath: host.slice('unix://'.length), host: undefined };
  }
  let url: URL;
  try {
    url = new URL(host.replace(/^tcp:/, 'http:'));
  } catch (cause) {
    throw new EstepsError('CONFIG_INVALID', `DOCKER_HOST=${host} is not an engine address.`, {
      hint: 'Use unix:///path/to/docker.sock or tcp://HOST:PORT, or unset DOCKER_HOST.',
      cause,
    });
  }
  const tls = Boolean(env.DOCKER_TLS_VERIFY);
  return {
    host: url.hostname,
    port: url.port || (tls ? 2376 : 2375),
    protocol: tls ? 'https' : 'http',
  };
}

export function engineUnavailable(
  env: Readonly<Record<string, string | undefined>>,
  cause: unknown,
): EstepsError {
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
