import {
  clusterRoutes,
  connectionManagers,
  type Json,
  type JsonObject,
  objects,
  typeOf,
  types,
} from './corpus-sites.js';

/**
 * One change to a real configuration, and what Envoy does with the result: refuses it (it
 * does not start; `why` quotes its error) or runs it (`why` says why that form is fine). The
 * verdicts come from Envoy's sources and documentation, never from the checker under test.
 */
export interface Mutation {
  readonly id: string;
  readonly refused: boolean;
  readonly why: string;
  /** Makes the change in place; false when the configuration has no place for it. */
  apply(config: JsonObject): boolean;
}

/** A change to the file's text, for what only YAML can say. */
export interface TextMutation {
  readonly id: string;
  readonly refused: boolean;
  readonly why: string;
  /** The changed text, or undefined when the text has no place for it. */
  apply(text: string): string | undefined;
}

export const first = <T>(items: readonly T[]): T | undefined => items[0];
export const router = (c: JsonObject) =>
  connectionManagers(c)
    .flatMap((hcm) => objects(hcm.http_filters))
    .find((f) => typeOf(f.typed_config) === types.router);
export const routeAction = (c: JsonObject) =>
  first(clusterRoutes(c))?.route as JsonObject | undefined;

/** Sets `key` of the first of `targets`; false when there is none. */
export function set(targets: readonly JsonObject[], key: string, value: Json): boolean {
  const target = targets[0];
  if (!target) return false;
  target[key] = value;
  return true;
}
