import type Docker from 'dockerode';
import type { ResolvedService } from '../../stacks/model/model.js';
import { readinessScript } from '../../stacks/resolve/readiness.js';
import { EstepsError } from '../errors.js';
import { containerLogTail } from './container-logs.js';
import type { AddressEndpoint } from './endpoint/published-address.js';
import { execInContainer } from './exec.js';
import { hasExited } from './inspect-state.js';
import type { WaitCondition } from './plan.js';
import { readProgressStream } from './progress-stream.js';
import { type Clock, retryUntil } from './retry.js';
import { checkLoopGaveUp, healthCheckLoop, healthCommand, waitHealthy } from './wait-healthy.js';
import { waitHttp } from './wait-http.js';
import { waitRunning } from './wait-running.js';
import type { WaitStrategyDescription } from './wait-strategy.js';

/**
 * The strategy for one container. `container` lets the health strategy run the check
 * command itself while Docker's first check has not run yet (see waitHealthy), and the HTTP
 * strategy run the probe inside a container whose probe port is not published, with the
 * container's own `node` (the readiness script an ejected compose file's health check runs).
 */
export function strategyFor(
  service: ResolvedService,
  condition: WaitCondition,
  container?: Docker.Container,
  endpoint?: AddressEndpoint,
): WaitStrategyDescription {
  if (condition === 'http' && service.httpProbe) {
    const probe = service.httpProbe;
    const inContainer = container
      ? () =>
          execInContainer(container, ['node', '-e', readinessScript(probe)], {
            timeoutMs: 5000,
            failure: 'HEALTH_TIMEOUT',
          })
            .then((r) => ({ ok: r.exitCode === 0, output: `${r.stdout}${r.stderr}`.trim() }))
            .catch((err: Error) => ({ ok: false, output: err.message }))
      : undefined;
    // A look on a published port is an inspect and a local GET (a few ms): every 25 ms. One
    // inside the container is an exec and a Node start (0.1 s or more): every 100 ms.
    const published = service.ports.some((p) => p.containerPort === probe.containerPort);
    return waitHttp(probe, inContainer, published && !endpoint?.remote ? 25 : 100, endpoint);
  }
  if (condition === 'healthy' && service.healthcheck) {
    const command = healthCommand(service.healthcheck.test);
    const runCheck =
      container && command
        ? checkInContainer(container, command, service.healthcheck.timeoutMs)
        : undefined;
    return waitHealthy(service.healthcheck, runCheck);
  }
  return waitRunning();
}

/** Tries of the check per exec of its loop, and the pause between: about a second per exec. */
const loopTries = 100;
const loopPauseMs = 10;

/**
 * Runs a health check command in the container for `waitHealthy`: as a loop inside it
 * (`healthCheckLoop`, about a second of tries per exec), or, where that cannot run (no
 * /bin/sh, the exec refused), once per look. True once a try passed.
 */
function checkInContainer(
  container: Docker.Container,
  command: readonly string[],
  timeoutMs: number,
): () => Promise<boolean> {
  let looping = true;
  const run = (cmd: readonly string[], ms: number) =>
    execInContainer(container, cmd, { timeoutMs: ms, failure: 'HEALTH_TIMEOUT' }).catch(
      () => undefined,
    );
  return async () => {
    if (looping) {
      const loop = healthCheckLoop(command, loopTries, loopPauseMs);
      const result = await run(loop, loopTries * loopPauseMs * 2 + timeoutMs);
      if (result?.exitCode === 0) return true;
      if (result?.exitCode === checkLoopGaveUp) return false;
      looping = false;
    }
    return (await run(command, timeoutMs))?.exitCode === 0;
  };
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
  // The first look also serves as the first attempt's.
  let first: Docker.ContainerInspectInfo | undefined = await container.inspect();
  const restartsBefore = first.RestartCount ?? 0;
  const result = await retryUntil(
    async () => {
      const info = first ?? (await container.inspect());
      first = undefined;
      if (hasExited(info, restartsBefore)) {
        throw await containerExited(
          docker,
          service,
          containerName,
          await exitCodeOf(docker, container),
        );
      }
      return strategy.check(info);
    },
    { timeoutMs: strategy.timeoutMs, intervalMs: strategy.intervalMs, ...options },
  );
  if (result.ok) return;
  const output = await containerLogTail(docker, containerName);
  const seconds = Math.round(result.elapsedMs / 1000);
  throw new EstepsError(
    'HEALTH_TIMEOUT',
    result.final
      ? `${service} is unhealthy: Docker's health check failed as many times as it allows, after ${seconds} s (container ${containerName}).`
      : `${service} was not ${strategy.what} within ${Math.round(strategy.timeoutMs / 1000)} s (container ${containerName}).`,
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
 * The exit code of a container that exited. With a restart policy it may already run again,
 * its exit code reset to 0; the engine's `die` events keep every exit code, so they are read
 * back for the container's lifetime so far.
 */
async function exitCodeOf(docker: Docker, container: Docker.Container): Promise<number | null> {
  const info = await container.inspect();
  if (info.State.Status !== 'running') return info.State.ExitCode;
  const stream = (await docker.getEvents({
    since: Math.floor(Date.parse(info.Created) / 1000),
    until: Math.ceil(Date.now() / 1000),
    filters: { container: [info.Id], event: ['die'] },
  })) as unknown as NodeJS.ReadableStream;
  let exitCode: number | null = null;
  await readProgressStream(stream, (message) => {
    const code = (message as { Actor?: { Attributes?: { exitCode?: string } } }).Actor?.Attributes
      ?.exitCode;
    if (code !== undefined) exitCode = Number(code);
  });
  return exitCode;
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
