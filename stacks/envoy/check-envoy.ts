import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { type EnvoyApi, EnvoyApiUnavailableError, loadEnvoyApi } from './envoy-api.js';
import { childPath, describeValue, type EnvoyProblem, indexPath } from './envoy-paths.js';
import { checkEnvoyReferences } from './envoy-references.js';
import { ProtoJsonChecker } from './proto-json-check.js';

export type { EnvoyProblem } from './envoy-paths.js';

export interface CheckEnvoyOptions {
  /** @default the API compiled into stacks/envoy/envoy-api.binpb, loaded on first use */
  readonly api?: EnvoyApi;
  /**
   * Put before every path, e.g. 'edge.envoy' for problems reported within a stack.
   * @default '' (paths start at the bootstrap's fields; the bootstrap itself is '(bootstrap)')
   */
  readonly pathPrefix?: string;
}

/**
 * Every problem in an Envoy v3 bootstrap given as plain data (what `renderEnvoyBootstrap()`
 * makes, or parsed YAML), each with its path; an empty list when Envoy's API accepts it.
 *
 * 1. It must be JSON: no `undefined`, functions, NaN or class instances.
 * 2. It is decoded strictly against Envoy's own message definitions in proto3 JSON form,
 *    inside every `typed_config` too, with the API's validation rules (ProtoJsonChecker).
 * 3. References across it are checked (envoy-references.ts).
 * 4. When all that passed, protobuf-es decodes it once more with the same definitions, as
 *    proof that the decoder above let nothing through that the API refuses.
 *
 * Never throws on bad input; throws EnvoyApiUnavailableError when the API cannot be loaded.
 */
export function checkEnvoyBootstrap(
  config: unknown,
  options: CheckEnvoyOptions = {},
): EnvoyProblem[] {
  const api = options.api ?? loadEnvoyApi();
  return withPrefix(check(api, config), options.pathPrefix ?? '');
}

function check(api: EnvoyApi, config: unknown): EnvoyProblem[] {
  try {
    const notJson = jsonProblems(config, '', new Set());
    if (notJson.length > 0) return notJson;
    const checker = new ProtoJsonChecker(api);
    checker.message(api.bootstrap, config, '', true);
    const problems = [...checker.problems, ...checkEnvoyReferences(config)];
    if (problems.length > 0) return problems;
    fromJson(api.bootstrap, config as JsonValue, { registry: api.registry });
    return [];
  } catch (error) {
    if (error instanceof EnvoyApiUnavailableError) throw error;
    return [
      {
        path: '',
        message: `Envoy's API refuses it: ${error instanceof Error ? error.message : String(error)}`,
      },
    ];
  }
}

/** Values that plain JSON (and so YAML for Envoy) cannot carry. */
function jsonProblems(value: unknown, path: string, parents: Set<object>): EnvoyProblem[] {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return [];
  if (typeof value === 'number') {
    return Number.isFinite(value) ? [] : [{ path, message: `${value} is not a JSON number` }];
  }
  if (typeof value !== 'object') return [{ path, message: `${describeValue(value)} is not JSON` }];
  if (parents.has(value)) return [{ path, message: 'refers back to an enclosing value (a cycle)' }];
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    return [
      { path, message: `a ${proto?.constructor?.name ?? 'class'} instance is not plain JSON` },
    ];
  }
  parents.add(value);
  const problems = Array.isArray(value)
    ? value.flatMap((item, i) => jsonProblems(item, indexPath(path, i), parents))
    : Object.entries(value).flatMap(([key, item]) =>
        jsonProblems(item, childPath(path, key), parents),
      );
  parents.delete(value);
  return problems;
}

function withPrefix(problems: readonly EnvoyProblem[], prefix: string): EnvoyProblem[] {
  return problems.map((p) => {
    const path =
      p.path === ''
        ? prefix
        : p.path.startsWith('[')
          ? `${prefix}${p.path}`
          : childPath(prefix, p.path);
    return { path: path === '' ? '(bootstrap)' : path, message: p.message };
  });
}

/** The problems as lines `path: message`, for messages and tests. */
export function formatEnvoyProblems(problems: readonly EnvoyProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('\n');
}
