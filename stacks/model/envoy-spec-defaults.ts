/**
 * Defaults of `EnvoySpec` that are the stack's, not Envoy's (those are `edgeDefaults` in
 * envoy/edge-model.ts): resolveStack applies them, validateStack reads them. A module of its
 * own because validation runs inside every stack file's bundle, which must stay small.
 */
export const envoyDefaults = { configFile: 'envoy.yaml', imageArg: 'ENVOY_IMAGE' } as const;
