import type { ResolvedStack } from '../../../stacks/model/model.js';

/**
 * The stack with the bundle entries of its hot-patchable services taken through `rebase`
 * (`hotpatch --source DIR`): a Swarm takes new code by building it into a new image.
 */
export function rebasedStack(
  stack: ResolvedStack,
  rebase: (path: string) => string,
): ResolvedStack {
  return {
    ...stack,
    services: stack.services.map((s) =>
      s.build && s.hotpatch
        ? {
            ...s,
            build: {
              ...s.build,
              bundles: Object.fromEntries(
                Object.entries(s.build.bundles).map(([k, b]) => [
                  k,
                  { ...b, entry: rebase(b.entry) },
                ]),
              ),
            },
          }
        : s,
    ),
  };
}
