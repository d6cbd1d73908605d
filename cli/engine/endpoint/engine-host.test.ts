import { describe, expect, it } from 'vitest';
import { formatEngineHost, parseEngineHost } from './engine-host.js';

describe('parseEngineHost', () => {
  it('reads the addresses the docker CLI reads', () => {
    expect(parseEngineHost('unix:///run/x.sock', 'DOCKER_HOST')).toEqual({
      kind: 'unix',
      path: '/run/x.sock',
    });
    expect(parseEngineHost('tcp://127.0.0.1:23751', 'DOCKER_HOST')).toEqual({
      kind: 'tcp',
      hostname: '127.0.0.1',
      port: 23751,
    });
    expect(parseEngineHost('10.0.0.2', 'DOCKER_HOST', true)).toEqual({
      kind: 'tcp',
      hostname: '10.0.0.2',
      port: 2376,
    });
    expect(parseEngineHost('tcp://[::1]', 'DOCKER_HOST')).toEqual({
      kind: 'tcp',
      hostname: '::1',
      port: 2375,
    });
    expect(parseEngineHost('ssh://me@build-box', 'DOCKER_HOST')).toEqual({
      kind: 'ssh',
      user: 'me',
      hostname: 'build-box',
      port: 22,
    });
    expect(parseEngineHost('ssh://build-box:2222/', 'DOCKER_HOST')).toEqual({
      kind: 'ssh',
      hostname: 'build-box',
      port: 2222,
    });
  });

  it('refuses what it cannot reach, naming the setting', () => {
    expect(() => parseEngineHost('http://h', 'DOCKER_HOST')).toThrow(
      'DOCKER_HOST=http://h is not an engine address: esteps does not reach http://.',
    );
    expect(() => parseEngineHost('ssh://me:secret@h', 'DOCKER_HOST')).toThrow(/passwords/);
    expect(() => parseEngineHost('ssh://h/var/run', 'DOCKER_HOST')).toThrow(/extra path/);
    expect(() => parseEngineHost('tcp://', 'DOCKER_HOST')).toThrow(/not an engine address/);
  });

  it('formats as docker context ls shows it', () => {
    expect(formatEngineHost({ kind: 'ssh', user: 'me', hostname: 'h', port: 22 })).toBe(
      'ssh://me@h',
    );
    expect(formatEngineHost({ kind: 'ssh', hostname: '::1', port: 2222 })).toBe('ssh://[::1]:2222');
    expect(formatEngineHost({ kind: 'tcp', hostname: 'h', port: 2376 })).toBe('tcp://h:2376');
  });
});
