import type { Deprecation } from './envoy-api.js';
import type { EnvoyProblem } from './envoy-paths.js';

/**
 * Which deprecated features the configuration's own runtime allows: Envoy refuses a field or
 * value that is "disallowed by default" unless the runtime key
 * `envoy.deprecated_features:<full name>` (or `envoy.features.enable_all_deprecated_features`)
 * is true in a static layer of `layered_runtime`.
 */
export interface DeprecationPolicy {
  readonly allowed: ReadonlySet<string>;
  readonly allowAll?: boolean;
  /** Every key of the static runtime layers, flattened, with its value. */
  readonly runtime?: ReadonlyMap<string, unknown>;
}

/** Reads the runtime keys that allow deprecated features from a bootstrap (loosely). */
export function deprecationPolicyOf(bootstrap: unknown): DeprecationPolicy {
  const allowed = new Set<string>();
  const runtime = new Map<string, unknown>();
  let allowAll = false;
  const layers = get(get(bootstrap, 'layered_runtime', 'layeredRuntime'), 'layers');
  for (const layer of Array.isArray(layers) ? layers : []) {
    const values = flatten(get(layer, 'static_layer', 'staticLayer'), '');
    for (const [key, value] of values) {
      runtime.set(key, value);
      if (value !== true && value !== 'true') continue;
      if (key === 'envoy.features.enable_all_deprecated_features') allowAll = true;
      if (key.startsWith('envoy.deprecated_features:')) allowed.add(key.slice(26));
    }
  }
  return { allowed, allowAll, runtime };
}

/**
 * The warning (or, for what Envoy disallows by default, the error) for using a deprecated
 * field or enum value, naming its replacement. `field.fullName` is the field's full name, or
 * the enum value's (`<enum type>.<VALUE>`).
 */
export function deprecationProblem(
  field: { readonly fullName: string; readonly deprecation?: Deprecation | undefined },
  path: string,
  policy: DeprecationPolicy,
  lead = 'is deprecated',
): EnvoyProblem | undefined {
  const d = field.deprecation;
  if (!d) return undefined;
  const since = d.since ? ` (since API ${d.since})` : '';
  const use = d.use ? shortName(d.use, field.fullName) : undefined;
  const instead = use ? `; use ${use} instead` : '';
  const docs = d.note ? ` (Envoy's docs: ${JSON.stringify(d.note)})` : '';
  if (d.fatal && !policy.allowAll && !policy.allowed.has(runtimeName(field.fullName))) {
    return {
      path,
      check: 'deprecated-disallowed',
      message: `${lead}${since} and disallowed by default: Envoy refuses it unless the runtime key "envoy.deprecated_features:${runtimeName(field.fullName)}" is true${instead}${docs}`,
      ...(use !== undefined && { suggestion: use }),
    };
  }
  return {
    path,
    severity: 'warning',
    message: `${lead}${since}${instead}; Envoy still runs it and logs a warning${docs}`,
    ...(use !== undefined && { suggestion: use }),
  };
}

/**
 * A replacement as a user finds it: a field of the same message by its name, anything else by
 * its full name.
 */
function shortName(use: string, fullName: string): string {
  const parent = fullName.slice(0, fullName.lastIndexOf('.'));
  return use.startsWith(`${parent}.`) && !use.slice(parent.length + 1).includes('.')
    ? use.slice(parent.length + 1)
    : use;
}

/**
 * The name Envoy's runtime key uses: protobuf's full name, in which an enum value belongs to
 * the scope that holds its enum (`...ApiConfigSource.GRPC`, not `...ApiConfigSource.ApiType.GRPC`).
 */
function runtimeName(fullName: string): string {
  const parts = fullName.split('.');
  const last = parts[parts.length - 1]!;
  return /^[A-Z0-9_]+$/.test(last) && parts.length > 2
    ? [...parts.slice(0, -2), last].join('.')
    : fullName;
}

function get(value: unknown, ...keys: string[]): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  for (const key of keys) {
    if (Object.hasOwn(value, key)) return (value as Record<string, unknown>)[key];
  }
  return undefined;
}

/** A runtime layer's keys, nested objects joined with "." as Envoy flattens them. */
function flatten(value: unknown, prefix: string): [string, unknown][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return prefix ? [[prefix, value]] : [];
  }
  return Object.entries(value).flatMap(([key, item]) =>
    flatten(item, prefix ? `${prefix}.${key}` : key),
  );
}
