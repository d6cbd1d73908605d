/**
 * The package's public API: what a stack file imports.
 *
 *   import { defineStack } from 'esteps';
 *   export default defineStack({ name: 'mystack', services: { ... } });
 *
 * esteps compiles a stack file at run time, so the import works wherever the file is; an
 * editor finds the types once the directory links the package (`npm link esteps`).
 */

export type { EdgeRoutesSpec, EdgeServiceRoute } from '../envoy/edge-from-services.js';
export type { EdgeRetryCondition, EdgeRetrySpec } from '../envoy/edge-model.js';
export { StackInvalidError, type StackProblem } from '../model/errors.js';
export type * from '../model/model.js';
export { defineStack } from './define-stack.js';
