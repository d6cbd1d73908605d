import { StackInvalidError, type StackProblem } from '../model/errors.js';
import type { ResolvedStack } from '../model/model.js';

/**
 * Every error Envoy would find in the configurations generated for a stack's services that run
 * Envoy (edges, step 4's user service), each with its path in the stack
 * (`services.edge.envoy.bootstrap.static_resources...`), esteps' own policy applied (the admin
 * interface on loopback). The checker (Envoy's API, some 50 ms to load) is imported only when
 * the stack has such a service. What esteps generates carries no warning either (its tests
 * say so); a warning would not stop `render` or `up`.
 */
export async function checkStackEdges(stack: ResolvedStack): Promise<StackProblem[]> {
  const edges = stack.services.filter((s) => s.envoy);
  if (edges.length === 0) return [];
  const { checkEnvoyBootstrap, isError } = await import('./check-envoy.js');
  return edges.flatMap((s) =>
    checkEnvoyBootstrap(s.envoy!.bootstrap, {
      pathPrefix: `services.${s.name}.envoy.bootstrap`,
      policy: true,
    })
      .filter(isError)
      .map((p) => ({ path: p.path, message: p.message })),
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
