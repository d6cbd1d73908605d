import type Docker from 'dockerode';
import type { ResolvedService } from '../../stacks/model.js';
import { EstepsError } from '../errors.js';
import { hasExited } from './inspect-state.js';
import { containerLogTail } from './logs.js';
import type { WaitCondition } from './plan.js';
import { type Clock, retryUntil } from './retry.js';
import { waitHealthy } from './wait-healthy.js';
import { waitHttp } from './wait-http.js';
import { waitRunning } from './wait-running.js';
import type { WaitStrategyDescription } from './wait-strategy.js';

export function strategyFor(
  service: ResolvedService,
  condition: WaitCondition,
): WaitStrategyDescription {
  if (condition === 'http' && service.httpProbe) return waitHttp(service.httpProbe);
  if (condition === 'healthy' && service.healthcheck) return waitHealthy(service.healthcheck);
  return waitRunning();
}

export interface WaitOptions {
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
}

/**
 * Waits, bounded, until one container of `service` meets the strategy. A container that
 * exits or restarts meanwhile ends the wait at once with CONTAINER_EXITED; running out of
 * time ends it with HEALTH_TIMEOUT. Both carry the tail of the container's logs.
 */
export async function waitForContainer(
  docker: Docker,
  service: string,
  containerName: string,
  strategy: WaitStrategyDescription,
  options: WaitOptions = {},
): Promise<void> {
  const container = docker.getContainer(containerName);
  const restartsBefore = (await container.inspect()).RestartCount ?? 0;
  const result = await retryUntil(
    async () => {
      const info = await container.inspect();
      if (hasExited(info, restartsBefore)) {
        throw await containerExited(docker, service, containerName, await exitCodeOf(container));
      }
      return strategy.check(info);
    },
    { timeoutMs: strategy.timeoutMs, intervalMs: strategy.intervalMs, ...options },
  );
  if (result.ok) return;
  const output = await containerLogTail(docker, containerName);
  throw new EstepsError(
    'HEALTH_TIMEOUT',
    `${service} was not ${strategy.what} within ${Math.round(strategy.timeoutMs / 1000)} s (container ${containerName}).`,
    {
      hint: `Its last check and log lines are above; \`esteps logs ${service}\` shows more. Fix the cause, then run esteps up again.`,
      details: {
        service,
        container: containerName,
        lastHealth: result.lastReason,
        output: `last check: ${result.lastReason}\n${output}`,
      },
    },
  );
}

/**
 * The exit code of a container that exited. With a restart policy it may already run again
 * (exit code reset to 0); its next exit shows in the `restarting` state, which the engine's
 * back-off keeps for 100 ms and more, so a short poll catches it.
 */
async function exitCodeOf(container: Docker.Container): Promise<number | null> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const info = await container.inspect();
    if (info.State.Status !== 'running') return info.State.ExitCode;
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function containerExited(
  docker: Docker,
  service: string,
  containerName: string,
  exitCode: number | null,
): Promise<EstepsError> {
  const output = await containerLogTail(docker, containerName);
  const code = exitCode === null ? 'and restarted' : `with code ${exitCode}`;
  return new EstepsError(
    'CONTAINER_EXITED',
    `${service} exited during start-up ${code} (container ${containerName}).`,
    {
      hint: `Its last log lines are above; \`esteps logs ${service}\` shows more. Fix the cause, then run esteps up again.`,
      details: { service, container: containerName, exitCode, output },
    },
  );
}
