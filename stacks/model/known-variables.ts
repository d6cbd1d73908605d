import { imageVariables } from './image-defaults.js';

/**
 * Every `ESTEPS_*` variable esteps reads from the environment or `.env`. A `.env` key that
 * starts with `ESTEPS_` and is not listed here is a typo until proven otherwise, so reading
 * `.env` reports it (with a suggestion) instead of silently ignoring it.
 */
export const settingVariables = {
  ESTEPS_PROJECT: 'Project name used when -p is not given (default: the stack name).',
  ESTEPS_USERSVC_PORT:
    'Host port of the user service on 127.0.0.1 (default 5000; 0 = any free port).',
  ESTEPS_DEBUG: 'Print stack traces of errors.',
  ESTEPS_REGISTRY:
    '--swarm: the registry the Swarm nodes pull built images from (default: the test Swarm of npm run swarm:up).',
  ESTEPS_BUILD_HOST: "--swarm: the engine that builds and pushes images (default: this machine's).",
  ESTEPS_SWARM_ENDPOINT_MODE: '--swarm: vip (default) or dnsrr (default on a test Swarm: no IPVS).',
  ESTEPS_SWARM_PUBLISH_MODE:
    '--swarm: ingress (default) or host (default on a test Swarm: no routing mesh).',
} as const;

export type SettingVariable = keyof typeof settingVariables;

/** Variables of per-project secrets: `ESTEPS_SECRET_<UPPER_SNAKE_NAME>`. */
export const secretVariablePrefix = 'ESTEPS_SECRET_';

/** `dbPassword` -> `ESTEPS_SECRET_DB_PASSWORD`. */
export function secretVariable(secretName: string): string {
  return `${secretVariablePrefix}${secretName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** Every fixed variable name esteps knows (secrets are matched by prefix). */
export const knownVariables: readonly string[] = [
  ...imageVariables,
  ...Object.keys(settingVariables),
];

/** True for names esteps owns (`ESTEPS_*`); other keys of `.env` belong to docker compose. */
export function isEstepsVariable(name: string): boolean {
  return name.startsWith('ESTEPS_');
}

export function isKnownVariable(name: string): boolean {
  return (
    knownVariables.includes(name) ||
    (name.startsWith(secretVariablePrefix) && /^ESTEPS_SECRET_[A-Z][A-Z0-9_]*$/.test(name))
  );
}
