import type { ContainerInspectInfo } from 'dockerode';
import { describe, expect, it } from 'vitest';
import { checkLoopGaveUp, healthCheckLoop, healthCommand, waitHealthy } from './wait-healthy.js';

const check = {
  test: ['CMD-SHELL', 'pg_isready -h 127.0.0.1'],
  intervalMs: 1000,
  timeoutMs: 3000,
  retries: 60,
  startPeriodMs: 0,
};

function inspect(status: string): ContainerInspectInfo {
  return { State: { Health: { Status: status, Log: [] } } } as unknown as ContainerInspectInfo;
}

describe('healthCommand', () => {
  it('runs CMD-SHELL through the shell and CMD as it is', () => {
    expect(healthCommand(['CMD-SHELL', 'pg_isready -h 127.0.0.1'])).toEqual([
      '/bin/sh',
      '-c',
      'pg_isready -h 127.0.0.1',
    ]);
    expect(healthCommand(['CMD', 'pg_isready', '-q'])).toEqual(['pg_isready', '-q']);
    expect(healthCommand(['NONE'])).toBeUndefined();
  });
});

describe('waitHealthy', () => {
  it('is ready when Docker says healthy, without running the check', async () => {
    let runs = 0;
    const strategy = waitHealthy(check, async () => {
      runs++;
      return false;
    });
    expect(await strategy.check(inspect('healthy'))).toEqual({ done: true, value: true });
    expect(runs).toBe(0);
  });

  it('is ready as soon as its own run of the check passes while Docker still says starting', async () => {
    const strategy = waitHealthy(check, async () => true);
    expect(await strategy.check(inspect('starting'))).toEqual({ done: true, value: true });
  });

  it('keeps waiting while both say no, and never overrides unhealthy', async () => {
    expect((await waitHealthy(check, async () => false).check(inspect('starting'))).done).toBe(
      false,
    );
    expect((await waitHealthy(check, async () => true).check(inspect('unhealthy'))).done).toBe(
      false,
    );
  });

  it('stops waiting once Docker says unhealthy: the check used up its retries', async () => {
    expect(await waitHealthy(check).check(inspect('unhealthy'))).toEqual({
      done: false,
      reason: 'health unhealthy',
      final: true,
    });
    expect(await waitHealthy(check).check(inspect('starting'))).not.toHaveProperty('final');
  });
});

describe('healthCheckLoop', () => {
  it('runs the check in a bounded shell loop, every word quoted', () => {
    const [sh, c, script] = healthCheckLoop(['/bin/sh', '-c', "pg_isready -h '127.0.0.1'"], 3, 20);
    expect([sh, c]).toEqual(['/bin/sh', '-c']);
    expect(script).toContain(
      `until '/bin/sh' '-c' 'pg_isready -h '\\''127.0.0.1'\\''' >/dev/null 2>&1;`,
    );
    expect(script).toContain(`[ "$n" -ge 3 ] && exit ${checkLoopGaveUp};`);
    expect(script).toContain('sleep 0.020');
  });
});
