import { describe, expect, it } from 'vitest';
import { engineSocketPath } from './reaper-client.js';

describe('the socket the reaper mounts', () => {
  it('is the socket esteps reached the engine by, however it was found', () => {
    // A rootless engine chosen by a context or found by looking: no DOCKER_HOST names it.
    const rootless = { host: 'unix:///run/user/1000/docker.sock', remote: false };
    expect(engineSocketPath({}, rootless)).toBe('/run/user/1000/docker.sock');
    expect(engineSocketPath({ DOCKER_HOST: 'unix:///elsewhere.sock' }, rootless)).toBe(
      '/run/user/1000/docker.sock',
    );
  });

  it("is the default socket on a remote engine's host, and ESTEPS_REAPER_SOCKET wins", () => {
    const ssh = { host: 'ssh://me@build-box', remote: true };
    expect(engineSocketPath({}, ssh)).toBe('/var/run/docker.sock');
    expect(engineSocketPath({ ESTEPS_REAPER_SOCKET: '/srv/docker.sock' }, ssh)).toBe(
      '/srv/docker.sock',
    );
    expect(
      engineSocketPath(
        { ESTEPS_REAPER_SOCKET: '/srv/docker.sock' },
        {
          host: 'unix:///run/user/1000/docker.sock',
          remote: false,
        },
      ),
    ).toBe('/srv/docker.sock');
  });
});
