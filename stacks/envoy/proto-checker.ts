import type { EnvoyApi, MessageType, ScalarName } from './envoy-api.js';
import type { EnvoyProblem } from './envoy-paths.js';
import type { DeprecationPolicy } from './proto-deprecation.js';

/**
 * What the checks of particular types (proto-type-checks.ts, proto-well-known.ts) use of the
 * checker that calls them (ProtoJsonChecker, proto-json-check.ts, implements it): the API,
 * the problems found so far, and the decoding of nested values.
 */
export interface ProtoChecker {
  readonly api: EnvoyApi;
  readonly problems: EnvoyProblem[];
  readonly deprecations: DeprecationPolicy;
  /** Checks `value` as a `desc`; true when that added no error. */
  message(desc: MessageType, value: unknown, path: string, validate: boolean): boolean;
  /** The fields of an object as `desc`, `ignoredKeys` aside (an Any's "@type"). */
  fields(
    desc: MessageType,
    object: Record<string, unknown>,
    path: string,
    validate: boolean,
    ignoredKeys: ReadonlySet<string>,
  ): void;
  scalar(type: ScalarName, value: unknown, path: string): boolean;
  /** Keeps a value of `typeName` for the checks across the configuration. */
  remember(typeName: string, value: Record<string, unknown>, path: string): void;
  error(path: string, message: string, suggestion?: string): void;
  warn(path: string, message: string, suggestion?: string): void;
  errorCount(): number;
}
