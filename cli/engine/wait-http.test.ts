import type { ContainerInspectInfo } from 'dockerode';
import { describe, expect, it } from 'vitest';
import { waitHttp } from './wait-http.js';

const probe = {
  path: '/user/health',
  containerPort: 5000,
  timeoutMs: 1000,
  expectJson: { ok: true, database: 'up' },
};

/** An inspect result with nothing published (step 2's user service). */
const unpublished = {
  Id: 'c1',
  Name: '/demo-usersvc-1',
  Image: 'sha256:x',
  RestartCount: 0,
  Config: { Labels: {}, Image: 'x' },
  State: { Status: 'running', ExitCode: 0 },
  NetworkSettings: { Ports: { '5000/tcp': null } },
} as unknown as ContainerInspectInfo;

describe('waitHttp on a port that is not published', () => {
  it('runs the probe in the container and passes when it does', async () => {
    const strategy = waitHttp(probe, async () => ({ ok: true, output: '' }));
    expect(await strategy.check(unpublished)).toEqual({ done: true, value: true });
  });

  it('reports what the probe in the container got', async () => {
    const strategy = waitHttp(probe, async () => ({
      ok: false,
      output: '200 {"database":"starting"}',
    }));
    expect(await strategy.check(unpublished)).toEqual({
      done: false,
      reason: 'GET http://127.0.0.1:5000/user/health in the container: 200 {"database":"starting"}',
    });
  });

  it('says the port is not published when it cannot look inside', async () => {
    expect(await waitHttp(probe).check(unpublished)).toEqual({
      done: false,
      reason: 'port 5000 is not published',
    });
  });
});
