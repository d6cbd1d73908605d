import type { HealthcheckSpec } from '../../stacks/model.js';
import { lastHealthOutput, readHealth } from './inspect-state.js';
import type { WaitStrategyDescription } from './wait-strategy.js';

/**
 * Ready once Docker's health check reports healthy. Bounded by what the check itself
 * allows (interval x retries + start period) and never less than a minute: a first Postgres
 * start initialises its data directory.
 */
export function waitHealthy(check: Required<HealthcheckSpec>): WaitStrategyDescription {
  const allowedMs = check.intervalMs * check.retries + check.startPeriodMs + 5_000;
  return {
    what: 'healthy',
    timeoutMs: Math.max(60_000, allowedMs),
    intervalMs: 200,
    check: async (info) => {
      const health = readHealth(info);
      if (health === 'healthy') return { done: true, value: true };
      return { done: false, reason: lastHealthOutput(info) ?? `health ${health}` };
    },
  };
}
