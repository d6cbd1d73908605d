import { closest } from '../validate/suggest.js';
import {
  at,
  items,
  member,
  type Node,
  number,
  routerType,
  text,
  typed,
} from './envoy-config-walk.js';
import { childPath, type EnvoyProblem } from './envoy-paths.js';
import { startupProblem } from './startup-checks.js';

/** The `retry_on` conditions Envoy knows (HTTP and gRPC). */
export const retryConditions = [
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

/** HTTP filters whose place at the end is decided at run time (not checked). */
const undecided = ['dynamic_modules.', 'golang.', 'mcp_router.'].map(
  (t) => `envoy.extensions.filters.http.${t}`,
);

/** The static clusters, and whether routes may name others (CDS). */
export interface ClusterNames {
  readonly names: ReadonlyMap<string, string>;
  /** Clusters also come from CDS: a name not among the static ones is only a warning. */
  readonly dynamic: boolean;
}

/** Envoy's checks of an HTTP connection manager (`hcm`: its fields) and its route table. */
export function checkConnectionManager(
  hcm: Node,
  clusters: ClusterNames,
  problems: EnvoyProblem[],
): void {
  checkHttpFilters(hcm, problems);
  const upgrades = new Map<string, string>();
  for (const upgrade of items(member(hcm, 'upgrade_configs'))) {
    const type = member(upgrade, 'upgrade_type');
    const name = text(type)?.toLowerCase();
    if (name === undefined) continue;
    const first = upgrades.get(name);
    if (first !== undefined) {
      problems.push(
        startupProblem(
          'upgrade-unique',
          type!.path,
          `another upgrade config is also for ${JSON.stringify(name)} (${first})`,
        ),
      );
    } else upgrades.set(name, type!.path);
  }
  const routeConfig = member(hcm, 'route_config');
  if (routeConfig) checkRouteConfig(routeConfig, clusters, problems);
}

function checkHttpFilters(hcm: Node, problems: EnvoyProblem[]): void {
  const list = items(member(hcm, 'http_filters'));
  const typeOf = (f: Node) => typed(member(f, 'typed_config'))?.type;
  list.forEach((filter, i) => {
    if (typeOf(filter) !== routerType) return;
    if (i !== list.length - 1) {
      problems.push(
        startupProblem(
          'http-filter-terminal',
          filter.path,
          `the router must be the last HTTP filter: it ends the chain, so ${list.length - 1 - i} filter(s) after it would never run`,
        ),
      );
    }
    if (member(filter, 'disabled')?.value === true) {
      problems.push(
        startupProblem(
          'http-filter-terminal',
          childPath(filter.path, 'disabled'),
          'the router is a terminal filter and cannot be disabled',
        ),
      );
    }
  });
  const last = list[list.length - 1];
  const lastType = last && typeOf(last);
  if (
    last &&
    lastType &&
    lastType !== routerType &&
    lastType.startsWith('envoy.extensions.filters.http.') &&
    !undecided.some((t) => lastType.startsWith(t)) &&
    member(last, 'is_optional')?.value !== true
  ) {
    problems.push(
      startupProblem(
        'http-filter-terminal',
        last.path,
        `${lastType} is the last HTTP filter but passes requests on: end http_filters with the router (${routerType})`,
      ),
    );
  }
}

function checkRouteConfig(
  routeConfig: Node,
  clusters: ClusterNames,
  problems: EnvoyProblem[],
): void {
  const validate = member(routeConfig, 'validate_clusters')?.value !== false;
  const maxBody = number(member(routeConfig, 'max_direct_response_body_size_bytes')) ?? 4096;
  checkHeaders(routeConfig, problems);
  const domains = new Map<string, string>();
  for (const host of items(member(routeConfig, 'virtual_hosts'))) {
    checkHeaders(host, problems);
    for (const domain of items(member(host, 'domains'))) {
      const value = text(domain)?.toLowerCase();
      if (value === undefined) continue;
      const first = domains.get(value);
      if (first !== undefined) {
        problems.push(
          startupProblem(
            'domain-unique',
            domain.path,
            value === '*'
              ? `a second wildcard domain "*" (${first}): a route table takes one at most`
              : `${JSON.stringify(text(domain))} is also a domain at ${first}: Envoy compares domains case-insensitively and refuses duplicates`,
          ),
        );
      } else domains.set(value, domain.path);
    }
    for (const route of items(member(host, 'routes')))
      checkRoute(route, validate, maxBody, clusters, problems);
  }
}

function checkRoute(
  route: Node,
  validate: boolean,
  maxBody: number,
  clusters: ClusterNames,
  problems: EnvoyProblem[],
): void {
  checkHeaders(route, problems);
  const action = member(route, 'route');
  const weighted = member(action, 'weighted_clusters');
  const targets = [
    member(action, 'cluster'),
    ...items(member(weighted, 'clusters')).map((c) => member(c, 'name')),
    ...items(member(action, 'request_mirror_policies')).map((m) => member(m, 'cluster')),
  ];
  if (validate) for (const target of targets) checkCluster(target, clusters, problems);
  for (const mirror of items(member(action, 'request_mirror_policies'))) {
    const named = [member(mirror, 'cluster'), member(mirror, 'cluster_header')].filter((n) =>
      text(n),
    );
    if (named.length !== 1) {
      problems.push(
        startupProblem(
          'mirror-cluster',
          mirror.path,
          named.length === 0
            ? 'names no cluster: give cluster (or cluster_header)'
            : 'names both cluster and cluster_header: give one',
        ),
      );
    }
  }
  if (weighted) checkWeights(weighted, problems);
  for (const cluster of items(member(weighted, 'clusters'))) checkHeaders(cluster, problems);
  if (text(member(action, 'prefix_rewrite')) && member(action, 'regex_rewrite')) {
    problems.push(
      startupProblem(
        'rewrite-conflict',
        childPath(action!.path, 'regex_rewrite'),
        'a route takes one rewrite: prefix_rewrite or regex_rewrite, not both',
      ),
    );
  }
  const body = at(route, 'direct_response', 'body');
  const inline = text(member(body, 'inline_string')) ?? text(member(body, 'inline_bytes'));
  const size =
    inline === undefined
      ? 0
      : member(body, 'inline_string')
        ? Buffer.byteLength(inline)
        : Buffer.from(inline, 'base64').length;
  if (size > maxBody) {
    problems.push(
      startupProblem(
        'direct-response-size',
        body!.path,
        `is ${size} bytes; Envoy takes at most ${maxBody} (max_direct_response_body_size_bytes)`,
      ),
    );
  }
  const retryOn = member(member(action, 'retry_policy'), 'retry_on');
  if (typeof retryOn?.value === 'string') checkRetryOn(retryOn.value, retryOn.path, problems);
}

function checkCluster(
  target: Node | undefined,
  clusters: ClusterNames,
  problems: EnvoyProblem[],
): void {
  const name = text(target);
  if (name === undefined || name === '' || clusters.names.has(name)) return;
  const suggestion = closest(name, clusters.names.keys());
  const known = [...clusters.names.keys()].map((c) => JSON.stringify(c)).join(', ');
  const message = suggestion
    ? `no cluster ${JSON.stringify(name)}; did you mean "${suggestion}"?`
    : `no cluster ${JSON.stringify(name)} (${known ? `clusters: ${known}` : 'there are no static clusters'})`;
  const problem = startupProblem('route-cluster', target!.path, message, suggestion);
  problems.push(
    clusters.dynamic
      ? {
          ...problem,
          severity: 'warning',
          message: `${message}: Envoy refuses the route table unless CDS has brought it by then (or validate_clusters is false)`,
        }
      : problem,
  );
}

function checkWeights(weighted: Node, problems: EnvoyProblem[]): void {
  const weights = items(member(weighted, 'clusters')).map((c) => number(member(c, 'weight')) ?? 0);
  const sum = weights.reduce((a, b) => a + b, 0);
  const total = number(member(weighted, 'total_weight'));
  if (weights.length > 0 && sum === 0) {
    problems.push(
      startupProblem(
        'weighted-clusters',
        weighted.path,
        'the weights add up to 0: Envoy needs a sum greater than 0',
      ),
    );
  } else if (total !== undefined && total > 0 && sum !== total) {
    problems.push(
      startupProblem(
        'weighted-clusters',
        weighted.path,
        `the weights add up to ${sum}, not total_weight ${total}`,
      ),
    );
  }
}

/** Headers a route table may add or remove: not pseudo-headers, not host. */
function checkHeaders(node: Node, problems: EnvoyProblem[]): void {
  const forbidden = (name: string) => name.startsWith(':') || name.toLowerCase() === 'host';
  for (const list of ['request_headers_to_add', 'response_headers_to_add']) {
    for (const option of items(member(node, list))) {
      const key = member(member(option, 'header'), 'key');
      const name = text(key);
      if (name !== undefined && forbidden(name)) {
        problems.push(
          startupProblem(
            'header-mutation',
            key!.path,
            `${JSON.stringify(name)}: Envoy modifies neither pseudo-headers (":...") nor host`,
          ),
        );
      }
    }
  }
  for (const list of ['request_headers_to_remove', 'response_headers_to_remove']) {
    for (const header of items(member(node, list))) {
      const name = text(header);
      if (name !== undefined && forbidden(name)) {
        problems.push(
          startupProblem(
            'header-mutation',
            header.path,
            `${JSON.stringify(name)}: Envoy removes neither pseudo-headers (":...") nor host`,
          ),
        );
      }
    }
  }
}

function checkRetryOn(value: string, path: string, problems: EnvoyProblem[]): void {
  for (const condition of value.split(',').map((c) => c.trim())) {
    if (condition === '' || (retryConditions as readonly string[]).includes(condition)) continue;
    const guess = closest(condition, retryConditions);
    problems.push(
      startupProblem(
        'retry-on',
        path,
        `unknown retry condition ${JSON.stringify(condition)}${guess ? `; did you mean "${guess}"?` : ` (Envoy knows ${retryConditions.join(', ')})`}: Envoy ignores it`,
        guess,
      ),
    );
  }
}
