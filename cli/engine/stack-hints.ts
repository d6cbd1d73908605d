import { join } from 'node:path';
import { imageVariables } from '../../stacks/model/image-defaults.js';
import type { ResolvedService, ResolvedStack } from '../../stacks/model/model.js';

/**
 * Next steps that name what this stack has: the variable that sets a value when one does,
 * else the place in the stack; never step 1's variables or folders for a stack of the user's.
 */

/** Where an image the engine lacks comes from, and how to get another. */
export function missingImageHint(stack: ResolvedStack, ref: string): string {
  const variable = imageOrigin(stack, ref);
  if (variable && (imageVariables as readonly string[]).includes(variable)) {
    return `Run \`npm run setup\` in the esteps checkout (it builds local stand-in images and writes .env), or set ${variable} to an image the engine has.`;
  }
  if (variable) {
    return `Set ${variable} (environment or .env) to an image the engine has, or load ${ref} into the engine (docker load).`;
  }
  const where = stack.services.find((s) => s.image === ref);
  const path = where ? `services.${where.name}.image` : 'the stack';
  return `Load ${ref} into the engine (docker pull, docker load), or name another image in ${path}.`;
}

/** The variable a stack reads an image reference from (run image or base image), if any. */
function imageOrigin(stack: ResolvedStack, ref: string): string | undefined {
  for (const service of stack.services) {
    const paths =
      service.image === ref
        ? [`services.${service.name}.image`]
        : Object.entries(service.build?.args ?? {})
            .filter(([, value]) => value === ref)
            .map(([arg]) => `services.${service.name}.build.args.${arg}`);
    for (const path of paths) {
      const origin = stack.origins[path];
      if (origin) return origin.variable;
    }
  }
  return undefined;
}

/** How to publish a service's port elsewhere when its host port is taken. */
export function portInUseHint(
  stack: ResolvedStack,
  service: ResolvedService,
  hostPort: number | undefined,
): string {
  const index = service.ports.findIndex((p) => hostPort === undefined || p.hostPort === hostPort);
  const path = `services.${service.name}.ports[${Math.max(index, 0)}].hostPort`;
  const variable = stack.origins[path]?.variable;
  const choose = variable
    ? `e.g. ${variable}=0 esteps up (0 lets the engine choose)`
    : `in the stack (${path}; 0 lets the engine choose)`;
  return `Stop whatever holds the port, or pick another one, ${choose}.`;
}

/** Where the failing step of a service's build is. */
export function buildFailedHint(service: ResolvedService): string {
  const build = service.build;
  const dockerfile = build ? join(build.context, build.dockerfile) : 'its Dockerfile';
  return `Fix the failing step (${dockerfile}, or the build arguments the stack gives it), then run esteps up again.`;
}
