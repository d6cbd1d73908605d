import type { ResolvedService, ResolvedStack } from '../../stacks/model/model.js';
import { EstepsError } from '../errors.js';
import type { AddressEndpoint } from './endpoint/published-address.js';
import { publishedAddress, publishedUrl } from './endpoint/published-address.js';
import type { ObservedContainer } from './observed-state.js';

/** One running container of a service, with the address a container port answers on. */
export interface RunningReplica {
  readonly container: ObservedContainer;
  /** The container port asked for. */
  readonly containerPort: number | undefined;
  /** e.g. `http://127.0.0.1:5000`; undefined when that port is not published, or answers only on a remote engine's host. */
  readonly baseUrl: string | undefined;
  /** Why there is no `baseUrl` although the port is published (a remote engine's loopback). */
  readonly note?: string;
}

/** This machine's engine: published ports answer on 127.0.0.1. */
const localEngine: AddressEndpoint = { remote: false };

/**
 * The running containers of `service` among a project's containers, each with the address of
 * `containerPort` (by default the service's probe port, or an Envoy edge's listener port).
 * Throws NOT_RUNNING when none runs, so `smoke` and `hotpatch` refuse a stack that is not up
 * with the same message.
 */
export function runningReplicas(
  stack: ResolvedStack,
  service: ResolvedService,
  containers: readonly ObservedContainer[],
  containerPort = service.httpProbe?.containerPort ?? service.envoy?.listenerPort,
  endpoint: AddressEndpoint = localEngine,
): RunningReplica[] {
  const running = containers.filter((c) => c.service === service.name && c.state === 'running');
  if (running.length === 0) {
    throw new EstepsError(
      'NOT_RUNNING',
      `Project "${stack.project}" is not up: no running ${service.name} container.`,
      { hint: `Bring it up with \`esteps up -p ${stack.project}\`, then retry.` },
    );
  }
  return running.map((container) => {
    const port = container.ports.find((p) => p.containerPort === containerPort && p.hostPort > 0);
    if (!port) return { container, containerPort, baseUrl: undefined };
    const address = publishedAddress(port, endpoint);
    return address.reachable
      ? { container, containerPort, baseUrl: publishedUrl(address) }
      : { container, containerPort, baseUrl: undefined, note: address.note };
  });
}
