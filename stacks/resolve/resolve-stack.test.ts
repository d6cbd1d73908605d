import { describe, expect, it } from 'vitest';
import step1 from '../builtin/step1.js';
import { ConfigInvalidError } from '../model/errors.js';
import type { ResolvedService, StackSpec } from '../model/model.js';
import { dependencyOrder, resolveStack } from './resolve-stack.js';

const file = '/repo/stacks/builtin/step1.ts';

describe('resolveStack: images', () => {
  it('takes the environment over .env over the default, and records where each came from', () => {
    const resolved = resolveStack(step1, {
      file,
      project: 'demo',
      env: { ESTEPS_POSTGRES_IMAGE: 'from-env/postgres:1', ESTEPS_NODE_IMAGE: '' },
      dotEnv: {
        ESTEPS_POSTGRES_IMAGE: 'from-file/postgres:1',
        ESTEPS_ENVOY_IMAGE: 'from-file/envoy:1',
      },
    });
    const [postgres, usersvc] = resolved.services;
    expect(postgres?.image).toBe('from-env/postgres:1');
    expect(usersvc?.build?.args).toEqual({
      ENVOY_IMAGE: 'from-file/envoy:1',
      NODE_IMAGE: 'node:20-bookworm-slim',
    });
    expect(resolved.origins['services.postgres.image']).toEqual({
      kind: 'environment',
      variable: 'ESTEPS_POSTGRES_IMAGE',
      default: 'postgres:16-bookworm',
    });
    expect(resolved.origins['services.usersvc.build.args.ENVOY_IMAGE']).toMatchObject({
      kind: '.env',
      variable: 'ESTEPS_ENVOY_IMAGE',
    });
    expect(resolved.origins['services.usersvc.build.args.NODE_IMAGE']).toMatchObject({
      kind: 'default',
      variable: 'ESTEPS_NODE_IMAGE',
    });
    // Secrets are files, never values of the resolved stack.
    expect(Object.keys(resolved.origins).filter((k) => k.includes('PASSWORD'))).toEqual([]);
    expect(resolved.origins['services.usersvc.environment.PGHOST']).toBeUndefined();
  });

  it('names the built image after the project', () => {
    const resolved = resolveStack(step1, { file, project: 'demo', env: {} });
    expect(resolved.services[1]?.image).toBe('esteps/demo-usersvc:latest');
  });
});

describe('resolveStack: step 1', () => {
  it('fills defaults, secret files, hardening and ports, dependencies first', () => {
    const resolved = resolveStack(step1, { file, project: 'step1', env: {} });
    expect(resolved.services.map((s) => s.name)).toEqual(['postgres', 'usersvc']);
    const [postgres, usersvc] = resolved.services as [ResolvedService, ResolvedService];
    expect(resolved.secrets).toEqual(['dbPassword']);
    expect(usersvc.environment.PGPASSWORD_FILE).toBe('/run/secrets/db_password');
    expect(postgres.environment.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/db_password');
    expect(JSON.stringify(resolved)).not.toMatch(/PGPASSWORD"|POSTGRES_PASSWORD"/);
    // The owner defaults to the numeric user; postgres names its own (the entrypoint drops to 999).
    expect(usersvc.secrets).toEqual([
      {
        secret: 'dbPassword',
        target: '/run/secrets/db_password',
        uid: 10001,
        gid: 10001,
        mode: 0o400,
      },
    ]);
    expect(postgres.secrets).toEqual([
      { secret: 'dbPassword', target: '/run/secrets/db_password', uid: 999, gid: 999, mode: 0o400 },
    ]);
    expect(usersvc).toMatchObject({
      user: '10001:10001',
      readOnlyRootFilesystem: true,
      tmpfs: [
        { target: '/tmp', sizeBytes: 16 * 1024 * 1024, mode: 0o1777, uid: 10001, gid: 10001 },
      ],
      capDrop: ['ALL'],
      capAdd: [],
      noNewPrivileges: true,
      limits: { pids: 256, memoryBytes: 1024 * 1024 * 1024 },
    });
    expect(postgres).toMatchObject({
      readOnlyRootFilesystem: false,
      tmpfs: [],
      capDrop: ['ALL'],
      capAdd: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'],
      noNewPrivileges: true,
    });
    expect(postgres.ports).toEqual([]);
    expect(usersvc.ports).toEqual([
      { hostIp: '127.0.0.1', hostPort: 5000, containerPort: 5000, protocol: 'tcp' },
    ]);
    expect(usersvc.httpProbe).toEqual({
      path: '/user/health',
      containerPort: 5000,
      timeoutMs: 60_000,
      expectJson: { ok: true, database: 'up' },
    });
    expect(usersvc.dependsOn).toEqual([{ service: 'postgres', condition: 'healthy' }]);
    expect(usersvc.build).toEqual({
      context: '/repo/templates/usersvc',
      dockerfile: 'Dockerfile',
      args: { ENVOY_IMAGE: 'envoyproxy/envoy:v1.32-latest', NODE_IMAGE: 'node:20-bookworm-slim' },
      bundles: {
        'app/service.js': { entry: '/repo/service/usersvc/main.ts', target: 'node18' },
        'app/supervisor.js': { entry: 'esteps/supervisor', target: 'node18' },
      },
    });
    expect(usersvc.hotpatch).toEqual({
      bundle: 'app/service.js',
      path: '/app/service.js',
      watch: ['/repo/service/usersvc'],
      owner: { uid: 10001, gid: 10001 },
      probe: usersvc.httpProbe,
      versionField: 'version',
    });
    expect(resolved.smoke?.service).toBe('usersvc');
    expect(resolved.networks).toEqual({ appmesh: { driver: 'bridge' } });
    expect(resolved.volumes).toEqual(['pgdata']);
  });

  it('reads the host port from the environment; 0 lets the engine pick', () => {
    const port = (env: Record<string, string>) =>
      resolveStack(step1, { file, project: 'p', env }).services[1]?.ports[0]?.hostPort;
    expect(port({ ESTEPS_USERSVC_PORT: '5123' })).toBe(5123);
    expect(port({ ESTEPS_USERSVC_PORT: '0' })).toBe(0);
  });

  it('throws one CONFIG_INVALID error for every value it cannot use', () => {
    let error: ConfigInvalidError | undefined;
    try {
      resolveStack(step1, {
        file,
        project: 'p',
        env: { ESTEPS_USERSVC_PORT: 'http', ESTEPS_POSTGRES_IMAGE: '' },
        dotEnv: { ESTEPS_NODE_IMAGE: '' },
      });
    } catch (err) {
      error = err as ConfigInvalidError;
    }
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect(error?.problems.map((p) => p.message)).toEqual([
      'ESTEPS_USERSVC_PORT must be a port number from 0 to 65535, got "http"',
    ]);
  });

  it('requires environment references without a default', () => {
    const spec: StackSpec = { name: 's', services: { a: { image: { env: 'A_IMAGE' } } } };
    expect(() => resolveStack(spec, { file, project: 's', env: {} })).toThrow(
      'A_IMAGE is required but not set',
    );
  });
});

describe('resolveStack: secrets and hardening defaults', () => {
  it('defaults a secret file to the snake_case name, root-owned without a numeric user, 0400; no hardening unless asked', () => {
    const spec: StackSpec = {
      name: 's',
      secrets: { apiKey: {}, dbPassword: { lengthBytes: 48 } },
      services: {
        a: {
          image: 'a:1',
          user: 'app',
          secrets: ['apiKey', { secret: 'dbPassword', target: 'pw', mode: 0o440 }],
        },
        b: {
          image: 'b:1',
          user: '1000',
          secrets: [{ secret: 'apiKey', owner: '5:6' }, 'dbPassword'],
        },
      },
    };
    const resolved = resolveStack(spec, { file, project: 's', env: {} });
    expect(resolved.secrets).toEqual(['apiKey', 'dbPassword']);
    const [a, b] = resolved.services as [ResolvedService, ResolvedService];
    expect(a.secrets).toEqual([
      { secret: 'apiKey', target: '/run/secrets/api_key', uid: 0, gid: 0, mode: 0o400 },
      { secret: 'dbPassword', target: '/run/secrets/pw', uid: 0, gid: 0, mode: 0o440 },
    ]);
    expect(b.secrets).toEqual([
      { secret: 'apiKey', target: '/run/secrets/api_key', uid: 5, gid: 6, mode: 0o400 },
      {
        secret: 'dbPassword',
        target: '/run/secrets/db_password',
        uid: 1000,
        gid: 1000,
        mode: 0o400,
      },
    ]);
    expect(a).toMatchObject({
      readOnlyRootFilesystem: false,
      tmpfs: [],
      capDrop: [],
      capAdd: [],
      noNewPrivileges: false,
      limits: {},
    });
  });
});

describe('dependencyOrder', () => {
  it('puts dependencies first and otherwise keeps declaration order', () => {
    const spec: StackSpec = {
      name: 's',
      services: {
        web: { image: 'w:1', dependsOn: [{ service: 'api' }] },
        api: { image: 'a:1', dependsOn: [{ service: 'db' }, { service: 'cache' }] },
        cache: { image: 'c:1' },
        db: { image: 'd:1' },
        tool: { image: 't:1' },
      },
    };
    expect(dependencyOrder(spec)).toEqual(['db', 'cache', 'api', 'web', 'tool']);
  });
});
