import type { ContainerInspectInfo } from 'dockerode';
import {
  type AddressEndpoint,
  publishedAddress,
  publishedUrl,
} from './endpoint/published-address.js';
import { labels } from './labels.js';
import type {
  ContainerState,
  HealthStatus,
  ObservedContainer,
  PublishedPort,
} from './observed-state.js';

/** Reads what esteps needs out of a container inspect result. Pure: tested with fixtures. */
export function toObservedContainer(info: ContainerInspectInfo): ObservedContainer {
  const l = info.Config.Labels ?? {};
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    service: l[labels.service] ?? '',
    replica: Number(l[labels.replica] ?? 0),
    configHash: l[labels.configHash],
    ...(l[labels.stackFile] !== undefined && { stackFile: l[labels.stackFile] }),
    imageId: info.Image,
    imageRef: info.Config.Image,
    state: info.State.Status as ContainerState,
    health: readHealth(info),
    exitCode: info.State.ExitCode,
    restartCount: info.RestartCount ?? 0,
    startedAt: info.State.StartedAt?.startsWith('0001-') ? undefined : info.State.StartedAt,
    ports: readPorts(info),
  };
}

export function readHealth(info: ContainerInspectInfo): HealthStatus {
  const status = info.State.Health?.Status;
  return status === 'healthy' || status === 'unhealthy' || status === 'starting' ? status : 'none';
}

/** The output of the last health check run, trimmed; undefined without a health check. */
export function lastHealthOutput(info: ContainerInspectInfo): string | undefined {
  const log = info.State.Health?.Log ?? [];
  const last = log[log.length - 1];
  return last ? `exit ${last.ExitCode}: ${last.Output.trim()}` : undefined;
}

/**
 * True once a container has stopped, or restarted since `restartsBefore` was read: with a
 * restart policy a crashing start-up shows as `restarting`, or as `running` again with a
 * higher restart count.
 */
export function hasExited(info: ContainerInspectInfo, restartsBefore = 0): boolean {
  const status = info.State.Status;
  return (
    status === 'exited' ||
    status === 'dead' ||
    status === 'restarting' ||
    (info.RestartCount ?? 0) > restartsBefore
  );
}

function readPorts(info: ContainerInspectInfo): PublishedPort[] {
  const ports: PublishedPort[] = [];
  const bindings = info.NetworkSettings?.Ports ?? {};
  for (const [key, list] of Object.entries(bindings)) {
    const [port, protocol] = key.split('/');
    for (const b of list ?? []) {
      ports.push({
        hostIp: b.HostIp,
        hostPort: Number(b.HostPort),
        containerPort: Number(port),
        protocol: protocol === 'udp' ? 'udp' : 'tcp',
      });
    }
  }
  return ports.sort((a, b) => a.containerPort - b.containerPort || a.hostPort - b.hostPort);
}

/**
 * The address to reach a published port on `endpoint`'s engine: the engine host's for a remote
 * engine; undefined where the port answers only on a remote engine's host (publishedAddress
 * says so in words). For a local engine, the same as hostUrl.
 */
export function endpointUrl(
  port: PublishedPort,
  endpoint: AddressEndpoint,
  path = '',
): string | undefined {
  return publishedUrl(publishedAddress(port, endpoint), path);
}

/** The address to reach a published port from this machine's engine (see endpointUrl). */
export function hostUrl(port: PublishedPort, path = ''): string {
  const host = port.hostIp === '' || port.hostIp === '0.0.0.0' ? '127.0.0.1' : port.hostIp;
  const h = host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port.hostPort}${path}`;
}
