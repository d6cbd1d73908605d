import { childPath, indexPath, isObject } from './envoy-paths.js';

/**
 * Reading a configuration loosely, for the checks across it (start-up checks): a value with
 * its path, members by their proto or JSON name, anything missing or of the wrong kind read
 * as absent (the decoder reports types).
 */
export interface Node {
  readonly value: unknown;
  readonly path: string;
}

const jsonNames = new Map<string, string>();

/** A member by its proto name or its JSON name, as the decoder accepts both; null is absent. */
export function member(node: Node | undefined, protoName: string): Node | undefined {
  if (!node || !isObject(node.value)) return undefined;
  let jsonName = jsonNames.get(protoName);
  if (jsonName === undefined) {
    jsonName = protoName.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    jsonNames.set(protoName, jsonName);
  }
  for (const key of [protoName, jsonName]) {
    if (Object.hasOwn(node.value, key) && node.value[key] !== null) {
      return { value: node.value[key], path: childPath(node.path, key) };
    }
  }
  return undefined;
}

/** Follows members: `at(root, 'a', 'b')` is root.a.b. */
export function at(node: Node | undefined, ...names: string[]): Node | undefined {
  let current = node;
  for (const name of names) current = member(current, name);
  return current;
}

/** A list's items; one value where a list belongs is a list of one, as Envoy reads it. */
export function items(node: Node | undefined): Node[] {
  if (!node) return [];
  if (Array.isArray(node.value)) {
    return node.value.map((value, i) => ({ value, path: indexPath(node.path, i) }));
  }
  return node.value === null || node.value === undefined ? [] : [node];
}

/** Entries of a map (an object), each with its path `["key"]`. */
export function entries(node: Node | undefined): [string, Node][] {
  return node && isObject(node.value)
    ? Object.entries(node.value).map(([key, value]) => [
        key,
        { value, path: `${node.path}[${JSON.stringify(key)}]` },
      ])
    : [];
}

export const text = (node: Node | undefined): string | undefined =>
  typeof node?.value === 'string' ? node.value : undefined;

export const number = (node: Node | undefined): number | undefined => {
  const v = node?.value;
  if (typeof v === 'number') return v;
  return typeof v === 'string' && /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)
    ? Number(v)
    : undefined;
};

/** An enum member's name as Envoy reads it (any case), or its number. */
export const enumName = (node: Node | undefined): string | number | undefined => {
  const v = node?.value;
  return typeof v === 'string' ? v.toUpperCase() : typeof v === 'number' ? v : undefined;
};

const typedStructs = new Set(['udpa.type.v1.TypedStruct', 'xds.type.v3.TypedStruct']);

/**
 * A `typed_config` (or any Any): its type name and the node that holds its fields. A
 * TypedStruct is read as the type its `type_url` names, with its `value` as the fields.
 */
export function typed(config: Node | undefined): { type: string; fields: Node } | undefined {
  if (!config || !isObject(config.value)) return undefined;
  const url = config.value['@type'];
  if (typeof url !== 'string') return undefined;
  const type = url.slice(url.lastIndexOf('/') + 1);
  if (typedStructs.has(type)) {
    const inner = text(member(config, 'type_url'));
    const value = member(config, 'value') ?? { value: {}, path: childPath(config.path, 'value') };
    return inner ? { type: inner.slice(inner.lastIndexOf('/') + 1), fields: value } : undefined;
  }
  return { type, fields: config };
}

/** Every listener of the static resources. */
export function listeners(root: Node): Node[] {
  return items(at(root, 'static_resources', 'listeners'));
}

/** Every filter chain of a listener, the default one included. */
export function filterChains(listener: Node): Node[] {
  const chains = items(member(listener, 'filter_chains'));
  const fallback = member(listener, 'default_filter_chain');
  return fallback ? [...chains, fallback] : chains;
}

/** The network filters of every chain of every listener, with their typed configuration. */
export function networkFilters(root: Node): { filter: Node; type?: string; fields?: Node }[] {
  return listeners(root).flatMap((listener) =>
    filterChains(listener).flatMap((chain) =>
      items(member(chain, 'filters')).map((filter) => ({
        filter,
        ...typed(member(filter, 'typed_config')),
      })),
    ),
  );
}

export const hcmType =
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const routerType = 'envoy.extensions.filters.http.router.v3.Router';
export const tcpProxyType = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/** Every HTTP connection manager (its fields node), in listeners' filter chains. */
export function connectionManagers(root: Node): Node[] {
  return networkFilters(root).flatMap((f) => (f.type === hcmType && f.fields ? [f.fields] : []));
}
