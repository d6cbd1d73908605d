import type { ResolvedService } from '../../stacks/model/model.js';
import { hostUrl } from './inspect-state.js';
import type { ObservedContainer } from './observed-state.js';

/**
 * Where a service answers from this machine: its HTTP probe's URL on the published port, and
 * any other published port as a bare address.
 */
export function serviceUrls(
  service: ResolvedService | undefined,
  containers: readonly ObservedContainer[],
): string[] {
  const urls: string[] = [];
  for (const c of containers) {
    for (const port of c.ports) {
      if (port.protocol !== 'tcp' || !port.hostPort) continue;
      const probe = service?.httpProbe;
      const path = probe && probe.containerPort === port.containerPort ? probe.path : '';
      urls.push(hostUrl(port, path));
    }
  }
  return [...new Set(urls)];
}
