import type { ContainerInspectInfo } from 'dockerode';
import { describe, expect, it } from 'vitest';
import { hasExited, hostUrl, lastHealthOutput, toObservedContainer } from './inspect-state.js';

// Trimmed from a real `GET /containers/{id}/json` on Engine 20.10.
const inspect = {
  Id: 'abc123',
  Name: '/demo-postgres-1',
  Image: 'sha256:pg',
  RestartCount: 0,
  Config: {
    Image: 'esteps-local/postgres:15-bookworm',
    Labels: {
      'com.esteps.project': 'demo',
      'com.esteps.service': 'postgres',
      'com.esteps.replica': '1',
      'com.esteps.config-hash': 'h1',
    },
  },
  State: {
    Status: 'running',
    ExitCode: 0,
    StartedAt: '2024-05-01T10:00:00.123Z',
    Health: {
      Status: 'starting',
      FailingStreak: 1,
      Log: [
        { Start: '', End: '', ExitCode: 2, Output: '/var/run/postgresql:5432 - no response\n' },
      ],
    },
  },
  NetworkSettings: {
    Ports: {
      '5432/tcp': null,
      '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '49153' }],
    },
  },
} as unknown as ContainerInspectInfo;

describe('inspect state', () => {
  it('reads labels, state, health and published ports', () => {
    expect(toObservedContainer(inspect)).toEqual({
      id: 'abc123',
      name: 'demo-postgres-1',
      service: 'postgres',
      replica: 1,
      configHash: 'h1',
      imageId: 'sha256:pg',
      imageRef: 'esteps-local/postgres:15-bookworm',
      state: 'running',
      health: 'starting',
      exitCode: 0,
      restartCount: 0,
      startedAt: '2024-05-01T10:00:00.123Z',
      ports: [{ hostIp: '127.0.0.1', hostPort: 49153, containerPort: 5000, protocol: 'tcp' }],
    });
  });

  it('gives the last health output', () => {
    expect(lastHealthOutput(inspect)).toBe('exit 2: /var/run/postgresql:5432 - no response');
  });

  it('treats a restart as an exit during start-up', () => {
    expect(hasExited(inspect)).toBe(false);
    expect(hasExited({ ...inspect, RestartCount: 1 })).toBe(true);
    const exited = { ...inspect, State: { ...inspect.State, Status: 'exited' } };
    expect(hasExited(exited as ContainerInspectInfo)).toBe(true);
  });

  it('maps a published port to a local URL', () => {
    expect(
      hostUrl(
        { hostIp: '0.0.0.0', hostPort: 5000, containerPort: 5000, protocol: 'tcp' },
        '/user/health',
      ),
    ).toBe('http://127.0.0.1:5000/user/health');
  });
});
