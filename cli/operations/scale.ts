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
  return scale;
}
