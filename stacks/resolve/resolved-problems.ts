import type { ConfigProblem } from '../model/errors.js';
import type { ResolvedService, ValueOrigin } from '../model/model.js';
import { bindingsClash, type HostBinding, showBinding } from '../validate/check-ports.js';

/**
 * What only the values of variables show, checked once they are resolved: a host port from
 * a variable that clashes with another port of the stack (validation sees a variable's
 * default, not its value), a replicated service publishing a port a variable fixed, a NUL
 * character read from `.env` into an environment value. Each problem names the path, the
 * variable, its value and where it came from, as the engine would only say "port is
 * already allocated" after creating half the stack. Clashes between two literals of the
 * stack are validateStack's (STACK_INVALID) and not repeated here.
 */
export function resolvedProblems(
  services: readonly ResolvedService[],
  origins: Readonly<Record<string, ValueOrigin>>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen: { binding: HostBinding; path: string }[] = [];
  for (const service of services) {
    service.ports.forEach((port, i) => {
      const path = `services.${service.name}.ports[${i}].hostPort`;
      const origin = origins[path];
      const key = origin?.variable;
      const clash = seen.find((s) => bindingsClash(s.binding, port));
      if (clash && (origin || origins[clash.path])) {
        problems.push({
          ...(key && { key }),
          message: `${path}: host port ${showBinding(port)} (${source(origin, port.hostPort)}) is already published by ${clash.path} (${showBinding(clash.binding)}, ${source(origins[clash.path], clash.binding.hostPort)})`,
        });
      } else if (!clash) seen.push({ binding: port, path });
      const spread = service.replicas > 1 && service.maxReplicasPerNode !== 1;
      if (origin && spread && port.hostPort !== 0) {
        problems.push({
          key: origin.variable,
          message: `${path}: ${service.replicas} replicas cannot all publish host port ${port.hostPort} (${source(origin, port.hostPort)}); set ${origin.variable}=0 to let the engine pick`,
        });
      }
    });
    for (const [name, value] of Object.entries(service.environment)) {
      const path = `services.${service.name}.environment.${name}`;
      const origin = origins[path];
      if (origin && value.includes('\0')) {
        problems.push({
          key: origin.variable,
          message: `${path}: ${origin.variable} (${where(origin)}) contains a NUL character, which no environment value can carry`,
        });
      }
    }
  }
  return problems;
}

/** `APP_PORT=8080 in .env`, `APP_PORT unset: its default 8080`, `written in the stack`. */
function source(origin: ValueOrigin | undefined, value: number | string): string {
  if (!origin) return 'written in the stack';
  if (origin.kind === 'default') return `${origin.variable} unset: its default ${value}`;
  return `${origin.variable}=${value} ${where(origin)}`;
}

function where(origin: ValueOrigin): string {
  if (origin.kind === 'environment') return 'in the environment';
  if (origin.kind === '.env') return 'in .env';
  return 'its default';
}
