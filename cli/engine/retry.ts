import { EstepsError } from '../errors.js';

/** Time, injectable so the retry helper is tested without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/**
 * One attempt: done with a value, or not yet, with the reason to report on timeout; `final`
 * when waiting longer cannot help (Docker already gave its verdict).
 */
export type Attempt<T> =
  | { readonly done: true; readonly value: T }
  | { readonly done: false; readonly reason: string; readonly final?: boolean };

export type RetryResult<T> =
  | { readonly ok: true; readonly value: T; readonly elapsedMs: number }
  | {
      readonly ok: false;
      readonly lastReason: string;
      readonly elapsedMs: number;
      /** Ended by a final attempt, before the time was up. */
      readonly final?: boolean;
    };

export interface RetryOptions {
  readonly timeoutMs: number;
  /** @default 250 */
  readonly intervalMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}

/**
 * Calls `attempt` until it is done, says waiting cannot help (`final`), or `timeoutMs` has
 * passed (at least one attempt always runs). An attempt that throws ends the retry with that error (a crashed container is not
 * worth waiting on); an aborted signal ends it with INTERRUPTED.
 */
export async function retryUntil<T>(
  attempt: () => Promise<Attempt<T>>,
  options: RetryOptions,
): Promise<RetryResult<T>> {
  const clock = options.clock ?? systemClock;
  const start = clock.now();
  let lastReason = 'no attempt finished';
  for (;;) {
    throwIfAborted(options.signal);
    const result = await attempt();
    const elapsedMs = clock.now() - start;
    if (result.done) return { ok: true, value: result.value, elapsedMs };
    lastReason = result.reason;
    if (result.final) return { ok: false, lastReason, elapsedMs, final: true };
    if (elapsedMs >= options.timeoutMs) return { ok: false, lastReason, elapsedMs };
    await clock.sleep(
      Math.min(options.intervalMs ?? 250, options.timeoutMs - elapsedMs),
      options.signal,
    );
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    // What to do next depends on the command that was interrupted: it adds the hint.
    throw new EstepsError('INTERRUPTED', 'Interrupted.');
  }
}
