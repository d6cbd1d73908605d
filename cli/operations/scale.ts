import type { ResolvedStack } from '../../stacks/model/model.js';
import { EstepsError } from '../errors.js';

/** `usersvc=5` -> ['usersvc', 5]; USAGE for anything else. */
export function parseScale(given: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of given) {
    const m = g.match(/^([a-z0-9_-]+)=(\d+)$/);
    if (!m) {
      throw new EstepsError('USAGE', `--scale ${g} is not SERVICE=N.`, {
        hint: 'For example --scale usersvc=3.',
      });
    }
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** The scale, each name a service of the stack (USAGE otherwise, naming the services). */
export function checkScale(
  stack: ResolvedStack,
  scale: Readonly<Record<string, number>>,
): Readonly<Record<string, number>> {
  const names = stack.services.map((s) => s.name);
  for (const [service, replicas] of Object.entries(scale)) {
    if (!names.includes(service) || !Number.isInteger(replicas) || replicas < 0) {
      throw new EstepsError(
        'USAGE',
        `--scale ${service}=${replicas} is not SERVICE=N for a service of the stack.`,
        { hint: `Services: ${names.join(', ')}; e.g. --scale ${names.at(-1)}=3.` },
      );
    }
  }
  for (const [service, replicas] of Object.entries(scale)) {
    refuseFixedHostPort(stack, stack.services.find((s) => s.name === service)!, replicas);
  }
  return scale;
}

/**
 * The stack's own rule for `replicas` (stacks/validate/check-ports.ts), for `--scale`: N
 * replicas cannot all publish one fixed host port, unless one runs per node (a Swarm's
 * `maxReplicasPerNode: 1`). Refused before anything changes, not as PORT_IN_USE from the
 * engine once some replicas were made.
 */
function refuseFixedHostPort(
  stack: ResolvedStack,
  service: ResolvedStack['services'][number],
  replicas: number,
): void {
  if (replicas <= 1 || service.maxReplicasPerNode === 1) return;
  const index = service.ports.findIndex((p) => p.hostPort !== 0);
  if (index < 0) return;
  const path = `services.${service.name}.ports[${index}].hostPort`;
  const variable = stack.origins[path]?.variable;
  const zero = variable
    ? `Set ${variable}=0 (the engine picks a port for each replica)`
    : `Publish it on port 0 in the stack (${path}: the engine picks a port for each replica)`;
  throw new EstepsError(
    'USAGE',
    `--scale ${service.name}=${replicas}: ${replicas} replicas cannot all publish host port ${service.ports[index]!.hostPort} (${path}).`,
    { hint: `${zero}, or scale ${service.name} to 1.` },
  );
}
