import type { ResolvedService, ResolvedStack } from '../../stacks/model/model.js';
import { EstepsError } from '../errors.js';
import { buildHash } from './config-hash.js';
import type { ObservedState } from './observed-state.js';

/** An edge whose Envoy image is known to have no Envoy, and why. */
export interface EdgeWithoutEnvoy {
  readonly service: string;
  readonly image: string;
  /** The variable the image came from (ESTEPS_ENVOY_IMAGE), when it came from one. */
  readonly variable?: string;
  /** The official image the stand-in replaces, when it is one. */
  readonly standInFor?: string;
  readonly reason: string;
}

/** The Envoy image an edge is built FROM (its `envoy.imageArg` build argument). */
export function envoyImageOf(service: ResolvedService): string | undefined {
  return service.envoy && service.build?.args[service.envoy.imageArg];
}

/**
 * The Envoy images `up` must look into before planning: those an edge is about to be built
 * FROM (no image yet, or its build inputs changed), present on the engine and not one of
 * setup's stand-ins (their label already says they hold no Envoy). An edge image that is up
 * to date was built FROM the same base image by a build that ran `envoy --mode validate`, so
 * its base is not asked again: a second `up` costs nothing more. Pure.
 */
export function envoyImagesToProbe(
  stack: ResolvedStack,
  observed: ObservedState,
  contextDigests: Readonly<Record<string, string>>,
): string[] {
  const refs = stack.services.flatMap((service) => {
    const ref = envoyImageOf(service);
    const base = ref === undefined ? undefined : observed.images[ref];
    if (!ref || !base || base.standInFor) return [];
    const hash = buildHash(service, contextDigests[service.name] ?? '', observed);
    return observed.images[service.image]?.buildHash === hash ? [] : [ref];
  });
  return [...new Set(refs)];
}

/**
 * Every edge whose Envoy image is known to hold no Envoy: one of setup's stand-ins (its
 * `com.esteps.standin` label), or an image whose `envoy --version` failed. An image not on the
 * engine yet is not known either way: it is pulled, and the edge build's `envoy --mode
 * validate` step fails on it if it has no Envoy. Pure.
 */
export function edgesWithoutEnvoy(
  stack: ResolvedStack,
  observed: ObservedState,
): EdgeWithoutEnvoy[] {
  return stack.services.flatMap((service) => {
    const image = envoyImageOf(service);
    if (!image || !service.envoy) return [];
    const origin = stack.origins[`services.${service.name}.build.args.${service.envoy.imageArg}`];
    const variable = origin ? { variable: origin.variable } : {};
    const standInFor = observed.images[image]?.standInFor;
    if (standInFor) {
      const reason = `it is the local stand-in for ${standInFor} that \`npm run setup\` built, with no Envoy binary`;
      return [{ service: service.name, image, ...variable, standInFor, reason }];
    }
    const probe = observed.envoy?.[image];
    if (probe && !probe.found)
      return [{ service: service.name, image, ...variable, reason: probe.reason }];
    return [];
  });
}

/**
 * ENVOY_MISSING, thrown by the planner before any operation when an edge cannot run: no
 * container, network, volume or image is created for a stack that cannot come up.
 */
export function envoyMissing(edges: readonly EdgeWithoutEnvoy[]): EstepsError {
  const lines = edges.map(
    (e) =>
      `Service ${e.service} runs Envoy, but its Envoy image ${e.image}${e.variable ? ` (${e.variable})` : ''} has none: ${e.reason}`,
  );
  const variables = [...new Set(edges.map((e) => e.variable).filter((v) => v !== undefined))];
  const set = variables.length > 0 ? variables.join(' and ') : 'the edge image in the stack';
  return new EstepsError('ENVOY_MISSING', `${lines.join('; ')}. Nothing was changed.`, {
    hint: `Set ${set} (environment or .env) to an image with Envoy in it, e.g. envoyproxy/envoy:v1.32-latest pulled or loaded with docker load. Without one, esteps render still writes and checks the configuration.`,
    details: { edges },
  });
}
