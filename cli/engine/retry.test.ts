import { describe, expect, it } from 'vitest';
import { type Clock, retryUntil } from './retry.js';

function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe('retryUntil', () => {
  it('returns the value once an attempt is done', async () => {
    const clock = fakeClock();
    let n = 0;
    const result = await retryUntil(
      async () =>
        ++n === 3 ? { done: true, value: 'ready' } : { done: false, reason: `try ${n}` },
      { timeoutMs: 10_000, intervalMs: 100, clock },
    );
    expect(result).toEqual({ ok: true, value: 'ready', elapsedMs: 200 });
  });

  it('gives up after the timeout with the last reason, never sleeping past it', async () => {
    const clock = fakeClock();
    const result = await retryUntil(async () => ({ done: false, reason: 'starting' }), {
      timeoutMs: 1000,
      intervalMs: 300,
      clock,
    });
    expect(result).toEqual({ ok: false, lastReason: 'starting', elapsedMs: 1000 });
    expect(clock.slept).toEqual([300, 300, 300, 100]);
  });

  it('gives up at once on a final attempt', async () => {
    const clock = fakeClock();
    let n = 0;
    const result = await retryUntil(
      async () =>
        ++n === 2
          ? { done: false, reason: 'unhealthy', final: true }
          : { done: false, reason: 'x' },
      { timeoutMs: 60_000, intervalMs: 100, clock },
    );
    expect(result).toEqual({ ok: false, lastReason: 'unhealthy', elapsedMs: 100, final: true });
  });

  it('ends with INTERRUPTED when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      retryUntil(async () => ({ done: false, reason: 'x' }), {
        timeoutMs: 1000,
        signal: controller.signal,
        clock: fakeClock(),
      }),
    ).rejects.toMatchObject({ code: 'INTERRUPTED' });
  });
});
