import { StackInvalidError, type StackProblem } from '../model/errors.js';
import type { ResolvedStack } from '../model/model.js';

/**
 * Every problem Envoy's API finds in the configurations generated for a stack's edges, each
 * with its path in the stack (`services.edge.envoy.bootstrap.static_resources...`). The
 * checker (Envoy's API, about 100 ms to load) is imported only when the stack has an edge.
 */
export async function checkStackEdges(stack: ResolvedStack): Promise<StackProblem[]> {
  const edges = stack.services.filter((s) => s.envoy);
  if (edges.length === 0) return [];
  const { checkEnvoyBootstrap } = await import('./check-envoy.js');
  return edges.flatMap((s) =>
    checkEnvoyBootstrap(s.envoy!.bootstrap, {
      pathPrefix: `services.${s.name}.envoy.bootstrap`,
    }),
  );
}

/**
 * Throws one StackInvalidError (STACK_INVALID) listing every problem of the stack's edge
 * configurations: what `render` and `up` run before they write or create anything.
 */
export async function assertStackEdges(stack: ResolvedStack): Promise<void> {
  const problems = await checkStackEdges(stack);
  if (problems.length > 0) {
    throw new StackInvalidError(stack.name, problems, {
      file: stack.file,
      hint: "The paths under envoy.bootstrap are in the Envoy configuration generated from the edge's envoy fields (esteps render --json shows it): fix those fields, or the services they route to.",
    });
  }
}
