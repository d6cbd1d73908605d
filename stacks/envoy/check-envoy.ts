import { type EnvoyApi, EnvoyApiUnavailableError, loadEnvoyApi } from './envoy-api.js';
import { at, connectionManagers, type Node } from './envoy-config-walk.js';
import { childPath, describeValue, type EnvoyProblem, indexPath, isError } from './envoy-paths.js';
import { deprecationPolicyOf } from './proto-deprecation.js';
import { ProtoJsonChecker } from './proto-json-check.js';
import {
  checkAdmin,
  checkConfigSources,
  checkGrpcServices,
  checkNodeIdentity,
  checkRuntimeLayers,
} from './startup-bootstrap.js';
import { checkClusters } from './startup-clusters.js';
import { checkConnectionManager } from './startup-http.js';
import { checkListeners, checkSockets } from './startup-listeners.js';

export type { EnvoyProblem } from './envoy-paths.js';
export { isError } from './envoy-paths.js';

export interface CheckEnvoyOptions {
  /** @default the API in stacks/envoy/api/envoy-api.json.gz, loaded on first use */
  readonly api?: EnvoyApi;
  /**
   * Put before every path, e.g. 'edge.envoy' for problems reported within a stack.
   * @default '' (paths start at the bootstrap's fields; the bootstrap itself is '(bootstrap)')
   */
  readonly pathPrefix?: string;
  /**
   * Apply esteps' own policy for the configurations it generates: the admin interface on the
   * container's loopback only. @default false
   */
  readonly policy?: boolean;
}

/** What a configuration file holds: Envoy's bootstrap, or xDS resources (a DiscoveryResponse). */
export type EnvoyDocumentKind = 'bootstrap' | 'resources';

/**
 * Every problem in an Envoy v3 bootstrap given as plain data (what `renderEnvoyBootstrap()`
 * makes, or a parsed file), each with its path; errors where Envoy refuses it, warnings where
 * it runs it but says something. An empty list, or warnings only, when Envoy accepts it.
 *
 * 1. It must be JSON: no `undefined`, functions, NaN or class instances.
 * 2. It is decoded against Envoy's own message definitions as Envoy reads its configuration
 *    (proto3 JSON, enum names in any case), inside every `typed_config` too, with the API's
 *    validation rules and deprecations (ProtoJsonChecker).
 * 3. Envoy's own start-up checks across it (startup-checks.ts lists them).
 *
 * Never throws on bad input; throws EnvoyApiUnavailableError when the API cannot be loaded.
 */
export function checkEnvoyBootstrap(
  config: unknown,
  options: CheckEnvoyOptions = {},
): EnvoyProblem[] {
  return checkEnvoyDocument(config, 'bootstrap', options);
}

/** As checkEnvoyBootstrap, for either kind of document. */
export function checkEnvoyDocument(
  config: unknown,
  kind: EnvoyDocumentKind,
  options: CheckEnvoyOptions = {},
): EnvoyProblem[] {
  const api = options.api ?? loadEnvoyApi();
  return withPrefix(check(api, config, kind, options.policy ?? false), options.pathPrefix ?? '');
}

function check(
  api: EnvoyApi,
  config: unknown,
  kind: EnvoyDocumentKind,
  policy: boolean,
): EnvoyProblem[] {
  try {
    const notJson = jsonProblems(config, '', new Set());
    if (notJson.length > 0) return notJson;
    const checker = new ProtoJsonChecker(api, deprecationPolicyOf(config));
    if (kind === 'resources') {
      const desc = api.message('envoy.service.discovery.v3.DiscoveryResponse')!;
      checker.message(desc, config, '', true);
      return checker.problems;
    }
    checker.message(api.bootstrap, config, '', true);
    return [...checker.problems, ...startupProblems(config, checker, policy)];
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

/** Envoy's checks across the configuration, after (and whatever) the decoder found. */
function startupProblems(
  config: unknown,
  checker: ProtoJsonChecker,
  policy: boolean,
): EnvoyProblem[] {
  const root: Node = { value: config, path: '' };
  const problems: EnvoyProblem[] = [];
  const clusters = checkClusters(root, problems);
  const dynamic = at(root, 'dynamic_resources', 'cds_config') !== undefined;
  const sockets = checkListeners(root, problems);
  const admin = checkAdmin(root, policy, problems);
  checkSockets(admin ? [...sockets, admin] : sockets, problems);
  const names = new Map([...clusters].map(([name, c]) => [name, c.path]));
  for (const hcm of connectionManagers(root)) {
    checkConnectionManager(hcm, { names, dynamic }, problems);
  }
  const sources = checker.found.get('envoy.config.core.v3.ApiConfigSource') ?? [];
  checkConfigSources(sources, clusters, problems);
  const services = checker.found.get('envoy.config.core.v3.GrpcService') ?? [];
  checkGrpcServices(services, sources, clusters, dynamic, problems);
  checkRuntimeLayers(root, problems);
  checkNodeIdentity(root, problems);
  return problems;
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
    return { ...p, path: path === '' ? '(bootstrap)' : path };
  });
}

/** The problems as lines `path: message` (warnings marked), for messages and tests. */
export function formatEnvoyProblems(problems: readonly EnvoyProblem[]): string {
  return problems.map((p) => `${p.path}: ${isError(p) ? '' : 'warning: '}${p.message}`).join('\n');
}
