/**
 * The engine's containers as the seam shows them: replicas (`ps`) and the addresses services
 * answer at (`up`), from what the engine reports about each container.
 */
import type { ResolvedStack } from '../../../stacks/model/model.js';
import {
  type AddressEndpoint,
  publishedAddress,
  publishedUrl,
} from '../../engine/endpoint/published-address.js';
import type { ObservedContainer } from '../../engine/observed-state.js';
import type { Replica, ServiceAddress, UnreachableAddress } from '../target.js';

/** One container as a replica; `now` for its uptime. */
export function toReplica(
  stack: ResolvedStack,
  c: ObservedContainer,
  now: number,
  endpoint: AddressEndpoint,
): Replica {
  const probe = stack.services.find((s) => s.name === c.service)?.httpProbe;
  const running = c.state === 'running' && c.startedAt !== undefined;
  return {
    service: c.service,
    name: c.name,
    state: c.state,
    health: c.health,
    ports: c.ports.map((p) => {
      const port = { hostIp: p.hostIp, hostPort: p.hostPort, containerPort: p.containerPort };
      if (p.protocol !== 'tcp') return port;
      const address = publishedAddress(p, endpoint);
      const path = probe?.containerPort === p.containerPort ? probe.path : '';
      return address.reachable
        ? { ...port, url: publishedUrl(address, path)! }
        : { ...port, note: address.note };
    }),
    image: c.imageRef,
    startedAt: c.startedAt ?? null,
    uptimeSeconds: running
      ? Math.max(0, Math.round((now - Date.parse(c.startedAt!)) / 1000))
      : null,
  };
}

/**
 * Where each service answers from this machine: its published TCP ports, the probe's with
 * the probe's path; a port that answers only on a remote engine's host is said as such.
 */
export function containerAddresses(
  stack: ResolvedStack,
  containers: readonly ObservedContainer[],
  endpoint: AddressEndpoint,
): { addresses: ServiceAddress[]; unreachable: UnreachableAddress[] } {
  const addresses: ServiceAddress[] = [];
  const unreachable: UnreachableAddress[] = [];
  for (const c of containers) {
    const probe = stack.services.find((s) => s.name === c.service)?.httpProbe;
    for (const port of c.ports) {
      if (port.protocol !== 'tcp' || !port.hostPort) continue;
      const where = { service: c.service, replica: c.name, containerPort: port.containerPort };
      const address = publishedAddress(port, endpoint);
      if (!address.reachable) {
        unreachable.push({ ...where, note: address.note });
        continue;
      }
      const baseUrl = publishedUrl(address)!;
      const path = probe?.containerPort === port.containerPort ? probe.path : '';
      addresses.push({ ...where, baseUrl, url: `${baseUrl}${path}` });
    }
  }
  return { addresses, unreachable };
}
