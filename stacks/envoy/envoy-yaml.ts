import { toYaml } from '../render/to-yaml.js';
import type { EdgeSpec } from './edge-model.js';
import { type JsonObject, renderEnvoyBootstrap } from './render-envoy.js';

/**
 * Envoy's bootstrap as the YAML file the edge image carries at `envoyConfigPath`. A module of
 * its own so that the YAML writer loads only where a file is written (the CLI's chunks).
 */
export function renderEnvoyYaml(spec: EdgeSpec, header?: string): string {
  return bootstrapYaml(renderEnvoyBootstrap(spec), header);
}

/** A rendered bootstrap as YAML, under a comment header. */
export function bootstrapYaml(bootstrap: JsonObject, header?: string): string {
  return toYaml(
    bootstrap,
    header ?? 'Envoy bootstrap rendered by esteps: edit the stack, not this file.',
  );
}
