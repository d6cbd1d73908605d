import type { EnvRef, StackSpec } from '../model/model.js';

/** Every variable a stack reads from the environment or `.env` (`{ env: ... }`), sorted. */
export function stackEnvVariables(spec: StackSpec): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') {
      if (typeof (value as EnvRef).env === 'string') found.add((value as EnvRef).env);
      else Object.values(value).forEach(visit);
    }
  };
  visit(spec.services);
  return [...found].sort();
}
