import type { HealthcheckSpec } from '../../stacks/model/model.js';
import { lastHealthOutput, readHealth } from './inspect-state.js';
import type { WaitStrategyDescription } from './wait-strategy.js';

/**
 * Ready once Docker's health check reports healthy. Bounded by what the check itself
 * allows (interval x retries + start period) and never less than a minute: a first Postgres
 * start initialises its data directory. Over at once when Docker reports it unhealthy: the
 * check used up its retries, so waiting longer only delays the answer.
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
    // Each look is an inspect and, while Docker says "starting", the check run in the
    // container (a loop of tries there, see wait.ts): 10 ms between looks.
    intervalMs: 10,
    check: async (info) => {
      const health = readHealth(info);
      if (health === 'healthy') return { done: true, value: true };
      if (health === 'starting' && runCheck && (await runCheck()))
        return { done: true, value: true };
      const reason = lastHealthOutput(info) ?? `health ${health}`;
      // Docker's verdict: the check failed `retries` times in a row after its start period.
      if (health === 'unhealthy') return { done: false, reason, final: true };
      return { done: false, reason };
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

/** The exit code of a `healthCheckLoop` that ran out of tries. */
export const checkLoopGaveUp = 75;

/**
 * The check command run again and again in one exec, inside the container: at most `tries`
 * times, `pauseMs` apart; exits 0 at the first pass, `checkLoopGaveUp` after the last failure.
 * A try is a fork in the container where an exec is the engine's, containerd's and runc's work:
 * twenty execs during a first Postgres initialisation (two cores) made it 0.3 s slower.
 * Needs /bin/sh in the image, as a CMD-SHELL check does.
 */
export function healthCheckLoop(
  command: readonly string[],
  tries: number,
  pauseMs: number,
): string[] {
  const once = command.map(shellQuote).join(' ');
  const pause = (pauseMs / 1000).toFixed(3);
  return [
    '/bin/sh',
    '-c',
    `n=0; until ${once} >/dev/null 2>&1; do n=$((n+1)); [ "$n" -ge ${tries} ] && exit ${checkLoopGaveUp}; sleep ${pause} 2>/dev/null || sleep 1; done`,
  ];
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
