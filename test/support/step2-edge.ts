import step2 from '../../stacks/builtin/step2.js';
import { type EdgeRoutesSpec, edgeFromServices } from '../../stacks/envoy/edge-from-services.js';
import type { EdgeSpec } from '../../stacks/envoy/edge-model.js';

/**
 * Step 2 of the tutorial puts Envoy in front of the user service: `/user` and everything under
 * it goes to `usersvc`, found by DNS on network `appmesh`, health-checked with its readiness
 * probe. The routes are the `step2` stack's own (stacks/step2.ts).
 */
export const step2EdgeRoutes: EdgeRoutesSpec = step2.services.edge.envoy;

/** Step 2's edge as Envoy sees it, with the stack's user service. */
export const step2Edge: EdgeSpec = edgeFromServices(step2EdgeRoutes, [
  { name: 'usersvc', httpProbe: step2.services.usersvc.httpProbe },
]).spec;
