import type { HealthcheckSpec } from '../../stacks/model.js';
import { lastHealthOutput, readHealth } from './inspect-state.js';
import type { WaitStrategyDescription } from './wait-strategy.js';

/**
 * Ready once Docker's health check reports healthy. Bounded by what the check itself
 * allows (interval x retries + start period) and never less than a minute: a first Postgres
 * start initialises its data directory.
 *
 * While Docker still says "starting", `runCheck` (when given) runs the same check command in
 * the container: Docker runs its first check only one interval after the start (Engine 20.10
 * has no start_interval), so this sees the same condition up to an interval sooner. That is
 * where `esteps up` gains on `docker compose up`, which waits for the engine's verdict.
 */
export function waitHealthy(
  check: Required<HealthcheckSpec>,
  runCheck?: () => Promise<boolean>,
): WaitStrategyDescription {
  const allowedMs = check.intervalMs * check.retries + check.startPeriodMs + 5_000;
  return {
    what: 'healthy',
    timeoutMs: Math.max(60_000, allowedMs),
    // Each look is an inspect and, while Docker says "starting", an exec of the check (70 to
    // 120 ms on a quiet machine): 10 ms between looks finds a Postgres that became ready
    // sooner than 50 ms did (50 ms: up to 0.15 s sooner than 200 ms), at a few more execs
    // during a first initialisation.
    intervalMs: 10,
    check: async (info) => {
      const health = readHealth(info);
      if (health === 'healthy') return { done: true, value: true };
      if (health === 'starting' && runCheck && (await runCheck()))
        return { done: true, value: true };
      return { done: false, reason: lastHealthOutput(info) ?? `health ${health}` };
    },
  };
}

/** The command a Docker health check `test` runs, as an exec command; undefined for NONE. */
export function healthCommand(test: readonly string[]): string[] | undefined {
  const [kind, ...rest] = test;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  if (kind === 'CMD') return rest;
  return undefined;
}
