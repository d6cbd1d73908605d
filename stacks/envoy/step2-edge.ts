import step1 from '../step1.js';
import { type EdgeRoutesSpec, edgeFromServices } from './edge-from-services.js';
import type { EdgeSpec } from './edge-model.js';

/**
 * Step 2 of the tutorial puts Envoy in front of the user service: `/user` and everything under
 * it goes to `usersvc`, found by DNS on network `appmesh`, health-checked with its readiness
 * probe. What the `step2` stack will declare for its edge service.
 */
export const step2EdgeRoutes: EdgeRoutesSpec = {
  routes: [{ pathPrefix: '/user', service: 'usersvc' }],
};

/** Step 2's edge as Envoy sees it, with the user service of step 1. */
export const step2Edge: EdgeSpec = edgeFromServices(step2EdgeRoutes, [
  { name: 'usersvc', httpProbe: step1.services.usersvc?.httpProbe },
]).spec;
