import type { WaitStrategyDescription } from './wait-strategy.js';

/** Ready once the container runs (compose's `service_started`). */
export function waitRunning(timeoutMs = 30_000): WaitStrategyDescription {
  return {
    what: 'running',
    timeoutMs,
    intervalMs: 100,
    check: async (info) =>
      info.State.Running
        ? { done: true, value: true }
        : { done: false, reason: `state ${info.State.Status}` },
  };
}
