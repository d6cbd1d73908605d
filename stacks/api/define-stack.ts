import { StackInvalidError } from '../model/errors.js';
import type { StackSpec } from '../model/model.js';
import { validateStack } from '../validate/validate-stack.js';

/**
 * Validates a stack definition and returns it unchanged, typed. Throws one
 * StackInvalidError (code STACK_INVALID) listing every problem with its path, e.g.
 * `services.usersvc.dependsOn[0]: no service "postgress"; did you mean "postgres"?`.
 */
export function defineStack<const S extends StackSpec>(spec: S): S {
  const problems = validateStack(spec);
  if (problems.length > 0) {
    const name = typeof spec?.name === 'string' ? spec.name : '(unnamed)';
    throw new StackInvalidError(name, problems);
  }
  return spec;
}
