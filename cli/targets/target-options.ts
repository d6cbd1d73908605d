import { engineAddress } from '../engine/client.js';
import type { EngineReport } from './target.js';

/** What opening a target reads: the environment, and which engine (`--context`). */
export interface TargetOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--context NAME`: a docker context. @default as the docker CLI chooses */
  readonly engineContext?: string;
}

/** Which engine the environment names, and why. */
export function engineReport(env: TargetOptions['env']): EngineReport {
  return {
    source: env.DOCKER_HOST ? 'DOCKER_HOST' : 'default socket',
    host: engineAddress(env),
  };
}
