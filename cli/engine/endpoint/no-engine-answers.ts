import { EstepsError } from '../../errors.js';
import type { Endpoint, EndpointResolution } from './resolve-endpoint.js';

export interface EngineFailure {
  readonly endpoint: Endpoint;
  readonly error: unknown;
  readonly elapsedMs: number;
}

/**
 * ENGINE_UNAVAILABLE naming every step of the walk in order (`--context (not given),
 * DOCKER_HOST (not set), …, default socket unix:///var/run/docker.sock (connect ENOENT)`),
 * with the next step for the setting that decided.
 */
export function noEngineAnswers(
  resolution: EndpointResolution,
  failures: readonly EngineFailure[],
  timeoutMs: number,
): EstepsError {
  const reasons = new Map(failures.map((f) => [f.endpoint.host, failureReason(f, timeoutMs)]));
  const steps = resolution.tried.map((step) => {
    const reason = step.host === undefined ? undefined : reasons.get(step.host);
    const what = step.host ? `${step.step} ${step.host}` : step.step;
    const found = step.found === step.host || step.found === 'exists' ? undefined : step.found;
    return `${what} (${[found, reason].filter(Boolean).join(': ')})`;
  });
  const first = failures[0]!;
  return new EstepsError(
    'ENGINE_UNAVAILABLE',
    `No Docker engine answers: tried ${steps.join(', ')}.`,
    {
      hint: nextStep(first),
      cause: first.error,
      details: {
        tried: resolution.tried,
        engines: failures.map((f) => ({
          source: f.endpoint.source,
          ...(f.endpoint.context && { context: f.endpoint.context }),
          host: f.endpoint.host,
          reason: reasons.get(f.endpoint.host),
        })),
      },
    },
  );
}

function failureReason(failure: EngineFailure, timeoutMs: number): string {
  const err = failure.error as { code?: string; message?: string; statusCode?: number };
  if (failure.elapsedMs >= timeoutMs - 50) return `no answer within ${timeoutMs / 1000} s`;
  const message = err?.message ?? String(failure.error);
  if (err?.code && !message.includes(err.code)) return `${err.code}: ${message}`;
  return message.trim();
}

function nextStep(failure: EngineFailure): string {
  const { endpoint } = failure;
  if ((failure.error as { code?: string })?.code === 'EACCES') {
    return `This user may not use ${endpoint.host}: add it to the docker group (then log in again), or run esteps as a user who may.`;
  }
  if (endpoint.context && endpoint.context !== 'default') {
    return `Check the engine of context "${endpoint.context}" (docker --context ${endpoint.context} info), or choose another one (docker context ls; esteps --context NAME).`;
  }
  if (endpoint.source === 'DOCKER_HOST') {
    return `Check that an engine listens at DOCKER_HOST=${endpoint.host}, or unset DOCKER_HOST to use DOCKER_CONTEXT, the current context or the local socket.`;
  }
  return 'Start the engine (npm run setup installs and starts one here), or point esteps at one: esteps --context NAME, DOCKER_HOST, or docker context use NAME.';
}
