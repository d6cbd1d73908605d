/** One problem in an Envoy configuration, with the path a user can follow to it. */
export interface EnvoyProblem {
  /** e.g. `static_resources.clusters[0].connect_timeout`; '' for the whole configuration. */
  readonly path: string;
  /** A sentence; with a suggestion, it ends with `; did you mean "..."?`. */
  readonly message: string;
  /**
   * `error`: Envoy refuses the configuration (it does not start, or refuses the resource);
   * `warning`: Envoy runs it but says something (a deprecated field), or esteps sees a likely
   * mistake that Envoy does not refuse. @default 'error'
   */
  readonly severity?: 'error' | 'warning';
  /** What was probably meant (a field, type, cluster or value name), when there is a guess. */
  readonly suggestion?: string;
  /**
   * The start-up check that found it (`listener-filter-chains`, ...: stacks/envoy/startup-checks.ts
   * lists them), for what goes beyond the API's types and validation rules.
   */
  readonly check?: string;
}

/** A warning, with its path. */
export function warning(path: string, message: string, suggestion?: string): EnvoyProblem {
  return { path, message, severity: 'warning', ...(suggestion !== undefined && { suggestion }) };
}

export const isError = (problem: EnvoyProblem) => problem.severity !== 'warning';

/** `a.b`, or `b` at the root. */
export function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function indexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

/** Map entries are named by key, quoted: keys such as type names carry dots. */
export function keyPath(path: string, key: string): string {
  return `${path}[${JSON.stringify(key)}]`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A value as a message names it: `the string "x"`, `the number 5`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
