import type { EngineEndpoint } from '../engine/client.js';
import type { EngineReport } from './target.js';

/** What opening a target reads: the environment, and which engine (`--context`). */
export interface TargetOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--context NAME`: a docker context. @default as the docker CLI chooses */
  readonly engineContext?: string;
}

/** The engine a target drives, as `up` prints it and `--json` carries it. */
export function engineReport(endpoint: EngineEndpoint): EngineReport {
  const source = endpoint.context
    ? `${endpoint.source} (context ${endpoint.context})`
    : endpoint.source;
  return { source, host: endpoint.host, remote: endpoint.remote };
}

/** How a target connects: its environment and `--context`. */
export function connectOptions(options: TargetOptions): { context?: string } {
  return options.engineContext === undefined ? {} : { context: options.engineContext };
}
