import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunTracker } from './run-tracker.js';

describe('RunTracker', () => {
  let reaped: string[];
  let idle: number;
  let tracker: RunTracker;

  beforeEach(() => {
    vi.useFakeTimers();
    reaped = [];
    idle = 0;
    tracker = new RunTracker({
      graceMs: 5000,
      idleMs: 60_000,
      reap: async (run) => {
        reaped.push(run);
      },
      idle: () => {
        idle++;
      },
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('reaps a run whose connection dropped, once the grace has passed', async () => {
    const c = {};
    tracker.connected('r1', c);
    tracker.closed('r1', c);
    await vi.advanceTimersByTimeAsync(4999);
    expect(reaped).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(reaped).toEqual(['r1']);
  });

  it('reaps a run that said done as soon as it closes', async () => {
    const c = {};
    tracker.connected('r1', c);
    tracker.done('r1');
    tracker.closed('r1', c);
    await vi.advanceTimersByTimeAsync(0);
    expect(reaped).toEqual(['r1']);
  });

  it('spares a run that reconnects within the grace', async () => {
    const a = {};
    const b = {};
    tracker.connected('r1', a);
    tracker.closed('r1', a);
    await vi.advanceTimersByTimeAsync(3000);
    tracker.connected('r1', b);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reaped).toEqual([]);
    expect(tracker.isConnected('r1')).toBe(true);
  });

  it('waits for the last of several connections of a run, and touches other runs never', async () => {
    const a = {};
    const b = {};
    const other = {};
    tracker.connected('r1', a);
    tracker.connected('r1', b);
    tracker.connected('r2', other);
    tracker.closed('r1', a);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reaped).toEqual([]);
    tracker.closed('r1', b);
    await vi.advanceTimersByTimeAsync(5000);
    expect(reaped).toEqual(['r1']);
  });

  it('leaves once idle, never while a run is connected or waiting out its grace', async () => {
    const c = {};
    await vi.advanceTimersByTimeAsync(30_000);
    tracker.connected('r1', c);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(idle).toBe(0);
    tracker.closed('r1', c);
    await vi.advanceTimersByTimeAsync(5000 + 59_999);
    expect(idle).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(idle).toBe(1);
  });

  it('sweeps a run that is not connected, and not one that is', async () => {
    tracker.connected('alive', {});
    tracker.reapIfGone('alive');
    tracker.reapIfGone('gone');
    await vi.advanceTimersByTimeAsync(0);
    expect(reaped).toEqual(['gone']);
  });
});
