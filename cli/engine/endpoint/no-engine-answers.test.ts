import { describe, expect, it } from 'vitest';
import { noEngineAnswers } from './no-engine-answers.js';
import type { Endpoint, EndpointResolution } from './resolve-endpoint.js';

const socket = (source: Endpoint['source'], path: string): Endpoint => ({
  source,
  host: `unix://${path}`,
  transport: { kind: 'unix', path },
});

describe('noEngineAnswers', () => {
  it('names every step tried, in order, with what each engine answered', () => {
    const defaultSocket = socket('default socket', '/var/run/docker.sock');
    const rootless = socket('rootless socket', '/run/user/1000/docker.sock');
    const resolution: EndpointResolution = {
      candidates: [defaultSocket, rootless],
      tried: [
        { step: '--context', found: 'not given' },
        { step: 'DOCKER_HOST', found: 'not set' },
        { step: 'DOCKER_CONTEXT', found: 'not set' },
        { step: 'currentContext in /home/me/.docker/config.json', found: 'none' },
        { step: 'default socket', found: 'exists', host: defaultSocket.host },
        { step: 'rootless socket', found: 'exists', host: rootless.host },
        {
          step: 'desktop socket',
          found: 'absent',
          host: 'unix:///home/me/.docker/run/docker.sock',
        },
      ],
    };
    const refused = Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), {
      code: 'ECONNREFUSED',
    });
    const error = noEngineAnswers(
      resolution,
      [
        { endpoint: defaultSocket, error: refused, elapsedMs: 3 },
        { endpoint: rootless, error: new Error('socket hang up'), elapsedMs: 5000 },
      ],
      5000,
    );
    expect(error.code).toBe('ENGINE_UNAVAILABLE');
    expect(error.message).toBe(
      'No Docker engine answers: tried --context (not given), DOCKER_HOST (not set), DOCKER_CONTEXT (not set), currentContext in /home/me/.docker/config.json (none), default socket unix:///var/run/docker.sock (connect ECONNREFUSED /var/run/docker.sock), rootless socket unix:///run/user/1000/docker.sock (no answer within 5 s), desktop socket unix:///home/me/.docker/run/docker.sock (absent).',
    );
    expect(error.hint).toMatch(/^Start the engine/);
  });

  it('gives the next step for the setting that decided', () => {
    const ctx: Endpoint = {
      source: 'DOCKER_CONTEXT',
      context: 'colima',
      host: 'unix:///home/me/.colima/default/docker.sock',
      transport: { kind: 'unix', path: '/home/me/.colima/default/docker.sock' },
    };
    const error = noEngineAnswers(
      {
        candidates: [ctx],
        tried: [
          { step: '--context', found: 'not given' },
          { step: 'DOCKER_HOST', found: 'not set' },
          { step: 'DOCKER_CONTEXT', found: 'colima', host: ctx.host },
        ],
      },
      [
        {
          endpoint: ctx,
          error: Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' }),
          elapsedMs: 1,
        },
      ],
      5000,
    );
    expect(error.message).toContain(`DOCKER_CONTEXT ${ctx.host} (colima: connect ENOENT)`);
    expect(error.hint).toContain('docker --context colima info');
  });
});
