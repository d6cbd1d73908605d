import { Agent as HttpsAgent } from 'node:https';
import { userInfo } from 'node:os';
import type Docker from 'dockerode';
import type { EndpointFiles } from './endpoint-files.js';
import type { Endpoint } from './resolve-endpoint.js';

/** dockerode options for an endpoint, and what to close when it is not used after all. */
export interface DockerTransport {
  readonly options: Docker.DockerOptions;
  /** Ends the connections it holds (SSH): only for an endpoint given up on. */
  readonly close: () => void;
}

export interface TransportInput {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
  readonly files: EndpointFiles;
  /** How long an SSH handshake may take. */
  readonly timeoutMs: number;
}

/**
 * Every option docker-modem would otherwise take from this process's environment (it reads
 * DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH itself, and lets them win over a socket
 * path), set: the endpoint esteps found is the one used.
 */
const neutral = {
  host: undefined,
  port: undefined,
  ca: undefined,
  cert: undefined,
  key: undefined,
  username: undefined,
  sshOptions: undefined,
} as const;

export async function dockerTransport(
  endpoint: Endpoint,
  input: TransportInput,
): Promise<DockerTransport> {
  const t = endpoint.transport;
  const none = () => undefined;
  if (t.kind === 'unix') {
    return { options: { ...neutral, socketPath: t.path, protocol: 'http' }, close: none };
  }
  if (t.kind === 'tcp' && !endpoint.tls) {
    return {
      options: { ...neutral, host: t.hostname, port: t.port, protocol: 'http' },
      close: none,
    };
  }
  if (t.kind === 'tcp') {
    const { ca, cert, key, verify } = endpoint.tls!;
    // One TLS agent per command: connections are kept alive and reused across requests.
    // Agent options win over request options in Node, so `rejectUnauthorized` holds.
    const agent = new HttpsAgent({ keepAlive: true, ca, cert, key, rejectUnauthorized: verify });
    return {
      options: {
        ...neutral,
        host: t.hostname,
        port: t.port,
        protocol: 'https',
        ca,
        cert,
        key,
        agent,
      } as Docker.DockerOptions,
      close: () => agent.destroy(),
    };
  }
  // SSH pulls in ssh2: loaded only when an engine is reached that way.
  const { sshEngineAgent } = await import('../ssh/ssh-engine-transport.js');
  const agent = await sshEngineAgent({
    hostname: t.hostname,
    port: t.port,
    user: t.user ?? input.env.USER ?? userInfo().username,
    address: endpoint.host,
    env: input.env,
    home: input.home,
    files: input.files,
    readyTimeoutMs: input.timeoutMs,
  });
  return {
    options: {
      ...neutral,
      host: t.hostname,
      port: t.port,
      protocol: 'http',
      agent,
    } as Docker.DockerOptions,
    close: () => agent.destroy(),
  };
}
