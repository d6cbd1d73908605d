import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from './errors.js';
import type { StackSpec } from './model.js';
import { dependencyOrder, resolveStack } from './resolve-stack.js';
import step1 from './step1.js';

const secrets = { dbPassword: 'pw' };
const file = '/repo/stacks/step1.ts';

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
      secrets,
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
    expect(resolved.origins['services.usersvc.environment.PGPASSWORD']).toEqual({
      kind: 'secret',
      secret: 'dbPassword',
      variable: 'ESTEPS_SECRET_DB_PASSWORD',
    });
    expect(resolved.origins['services.usersvc.environment.PGHOST']).toBeUndefined();
  });

  it('names the built image after the project', () => {
    const resolved = resolveStack(step1, { file, project: 'demo', env: {}, secrets });
    expect(resolved.services[1]?.image).toBe('esteps/demo-usersvc:latest');
  });
});

describe('resolveStack: step 1', () => {
  it('fills defaults, secrets and ports, dependencies first', () => {
    const resolved = resolveStack(step1, { file, project: 'step1', env: {}, secrets });
    expect(resolved.services.map((s) => s.name)).toEqual(['postgres', 'usersvc']);
    const usersvc = resolved.services[1]!;
    expect(usersvc.environment.PGPASSWORD).toBe('pw');
    expect(resolved.services[0]!.environment.POSTGRES_PASSWORD).toBe('pw');
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
    expect(usersvc.user).toBe('usersvc');
    expect(usersvc.build).toEqual({
      context: '/repo/templates/usersvc',
      dockerfile: 'Dockerfile',
      args: { ENVOY_IMAGE: 'envoyproxy/envoy:v1.32-latest', NODE_IMAGE: 'node:20-bookworm-slim' },
      bundles: {
        'app/service.js': { entry: '/repo/service/main.ts', target: 'node18' },
        'app/supervisor.js': { entry: 'esteps/supervisor', target: 'node18' },
      },
    });
    expect(usersvc.hotpatch).toEqual({
      bundle: 'app/service.js',
      path: '/app/service.js',
      watch: ['/repo/service'],
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
      resolveStack(step1, { file, project: 'p', env, secrets }).services[1]?.ports[0]?.hostPort;
    expect(port({ ESTEPS_USERSVC_PORT: '5123' })).toBe(5123);
    expect(port({ ESTEPS_USERSVC_PORT: '0' })).toBe(0);
  });

  it('throws one CONFIG_INVALID error for every value it cannot use', () => {
    let error: ConfigInvalidError | undefined;
    try {
      resolveStack(step1, {
        file,
        project: 'p',
        env: { ESTEPS_USERSVC_PORT: 'http' },
        secrets: {},
      });
    } catch (err) {
      error = err as ConfigInvalidError;
    }
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect(error?.problems.map((p) => p.message)).toEqual([
      'secret "dbPassword" of project "p" is missing',
      'ESTEPS_USERSVC_PORT must be a port number from 0 to 65535, got "http"',
    ]);
  });

  it('requires environment references without a default', () => {
    const spec: StackSpec = { name: 's', services: { a: { image: { env: 'A_IMAGE' } } } };
    expect(() => resolveStack(spec, { file, project: 's', env: {}, secrets: {} })).toThrow(
      'A_IMAGE is required but not set',
    );
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
