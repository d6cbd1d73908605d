import type { CheckEnvoyOptions, EnvoyProblem } from './check-envoy.js';

export type { CheckEnvoyOptions, EnvoyProblem } from './check-envoy.js';
export * from './edge-from-services.js';
export * from './edge-model.js';
export { bootstrapYaml, renderEnvoyYaml } from './envoy-yaml.js';
export { envoyRunCommand, envoyValidateCommand, renderEnvoyBootstrap } from './render-envoy.js';
export { step2Edge, step2EdgeRoutes } from './step2-edge.js';

/**
 * `checkEnvoyBootstrap()`, loaded on first use: Envoy's API (protobuf-es and the descriptor
 * set, about 100 ms) is paid for only by commands on a stack with an edge.
 */
export async function checkEnvoy(
  config: unknown,
  options?: CheckEnvoyOptions,
): Promise<EnvoyProblem[]> {
  const { checkEnvoyBootstrap } = await import('./check-envoy.js');
  return checkEnvoyBootstrap(config, options);
}
