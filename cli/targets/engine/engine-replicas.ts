/**
 * The engine's containers as the seam shows them: replicas (`ps`) and the addresses services
 * answer at (`up`), from what the engine reports about each container.
 */
import type { ResolvedStack } from '../../../stacks/model/model.js';
import { hostUrl } from '../../engine/inspect-state.js';
import type { ObservedContainer } from '../../engine/observed-state.js';
import type { Replica, ServiceAddress } from '../target.js';

/** One container as a replica; `now` for its uptime. */
export function toReplica(stack: ResolvedStack, c: ObservedContainer, now: number): Replica {
  const probe = stack.services.find((s) => s.name === c.service)?.httpProbe;
  const running = c.state === 'running' && c.startedAt !== undefined;
  return {
    service: c.service,
    name: c.name,
    state: c.state,
    health: c.health,
    ports: c.ports.map((p) => ({
      hostIp: p.hostIp,
      hostPort: p.hostPort,
      containerPort: p.containerPort,
      ...(p.protocol === 'tcp' && {
        url: hostUrl(p, probe?.containerPort === p.containerPort ? probe.path : ''),
      }),
    })),
    image: c.imageRef,
    startedAt: c.startedAt ?? null,
    uptimeSeconds: running
      ? Math.max(0, Math.round((now - Date.parse(c.startedAt!)) / 1000))
      : null,
  };
}

/**
 * Where each service answers from this machine: its published TCP ports, the probe's with
 * the probe's path.
 */
export function containerAddresses(
  stack: ResolvedStack,
  containers: readonly ObservedContainer[],
): ServiceAddress[] {
  const out: ServiceAddress[] = [];
  for (const c of containers) {
    const probe = stack.services.find((s) => s.name === c.service)?.httpProbe;
    for (const port of c.ports) {
      if (port.protocol !== 'tcp' || !port.hostPort) continue;
      const baseUrl = hostUrl(port);
      const path = probe?.containerPort === port.containerPort ? probe.path : '';
      out.push({
        service: c.service,
        replica: c.name,
        containerPort: port.containerPort,
        baseUrl,
        url: `${baseUrl}${path}`,
      });
    }
  }
  return out;
}
