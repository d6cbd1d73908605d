import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerOptions } from './client.js';

describe('dockerOptions', () => {
  const saved = process.env.DOCKER_HOST;
  afterEach(() => {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  });

  it('reads tcp:// and unix:// addresses', () => {
    expect(dockerOptions({ DOCKER_HOST: 'tcp://127.0.0.1:23751' })).toEqual({
      host: '127.0.0.1',
      port: '23751',
      protocol: 'http',
    });
    expect(dockerOptions({ DOCKER_HOST: 'unix:///run/x.sock' })).toMatchObject({
      socketPath: '/run/x.sock',
    });
  });

  it('means the socket when asked for it, even with another DOCKER_HOST in the process', () => {
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:23751';
    const modem = new Docker(dockerOptions({})).modem as unknown as {
      socketPath?: string;
      host?: string;
    };
    expect(modem.host).toBeUndefined();
    expect(modem.socketPath).toBe('/var/run/docker.sock');
  });
});
