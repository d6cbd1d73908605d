import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../model/errors.js';
import type { PortSpec, ServiceSpec, StackSpec } from '../model/model.js';
import { validateStack } from '../validate/validate-stack.js';
import { resolveStack } from './resolve-stack.js';

const file = '/work/demo/esteps.stack.ts';

function stack(services: Record<string, ServiceSpec>): StackSpec {
  const spec: StackSpec = { name: 'demo', services };
  // What resolveStack is given has passed validation, as every command's stack has.
  expect(validateStack(spec)).toEqual([]);
  return spec;
}

function published(...ports: PortSpec[]): ServiceSpec {
  return { image: 'a:1', ports };
}

/** The messages of the CONFIG_INVALID error resolving throws, or [] when it resolves. */
function resolveProblems(
  spec: StackSpec,
  env: Record<string, string | undefined> = {},
  dotEnv: Record<string, string> = {},
): string[] {
  try {
    resolveStack(spec, { file, project: 'demo', env, dotEnv });
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigInvalidError);
    return (err as ConfigInvalidError).problems.map((p) => p.message);
  }
}

describe('resolveStack: host ports from variables', () => {
  const fromVar = (env: string, fallback: string, hostIp?: string): PortSpec => ({
    hostIp,
    hostPort: { env, default: fallback },
    containerPort: 80,
  });

  it("checks a variable's value, not its default, against the stack's other ports", () => {
    const spec = stack({
      a: published({ hostPort: 8080, containerPort: 80 }),
      b: published(fromVar('B_PORT', '8081')),
    });
    expect(resolveProblems(spec)).toEqual([]);
    expect(resolveProblems(spec, { B_PORT: '8080' })).toEqual([
      'services.b.ports[0].hostPort: host port 127.0.0.1:8080/tcp (B_PORT=8080 in the environment) is already published by services.a.ports[0].hostPort (127.0.0.1:8080/tcp, written in the stack)',
    ]);
    // A default equal to another port no longer refuses a stack whose variable moves it.
    const movable = stack({
      a: published({ hostPort: 8080, containerPort: 80 }),
      b: published(fromVar('B_PORT', '8080')),
    });
    expect(resolveProblems(movable, {}, { B_PORT: '9090' })).toEqual([]);
    expect(resolveProblems(movable)).toEqual([
      'services.b.ports[0].hostPort: host port 127.0.0.1:8080/tcp (B_PORT unset: its default 8080) is already published by services.a.ports[0].hostPort (127.0.0.1:8080/tcp, written in the stack)',
    ]);
  });

  it('counts every interface (0.0.0.0) as a clash with any address, and names both variables', () => {
    const spec = stack({
      a: published(fromVar('A_PORT', '0', '0.0.0.0')),
      b: published(fromVar('B_PORT', '0')),
    });
    expect(resolveProblems(spec, { A_PORT: '7000' }, { B_PORT: '7000' })).toEqual([
      'services.b.ports[0].hostPort: host port 127.0.0.1:7000/tcp (B_PORT=7000 in .env) is already published by services.a.ports[0].hostPort (0.0.0.0:7000/tcp, A_PORT=7000 in the environment)',
    ]);
    expect(resolveProblems(spec, { A_PORT: '7000' }, { B_PORT: '7001' })).toEqual([]);
    expect(resolveProblems(spec)).toEqual([]);
  });

  it('refuses a replicated service publishing a port a variable fixed', () => {
    const spec = stack({ a: { ...published(fromVar('A_PORT', '0')), replicas: 3 } });
    expect(resolveProblems(spec)).toEqual([]);
    expect(resolveProblems(spec, { A_PORT: '7000' })).toEqual([
      'services.a.ports[0].hostPort: 3 replicas cannot all publish host port 7000 (A_PORT=7000 in the environment); set A_PORT=0 to let the engine pick',
    ]);
  });
});

describe('resolveStack: variables', () => {
  it('reads variables of their own, never names of Object.prototype', () => {
    const spec = stack({
      a: { image: 'a:1', environment: { A: { env: 'toString', default: 'plain' } } },
    });
    // process.env inherits Object.prototype: `toString` was a function, then a crash.
    const env = Object.assign(Object.create(Object.prototype), { PATH: '/bin' });
    const resolved = resolveStack(spec, { file, project: 'demo', env, dotEnv: {} });
    expect(resolved.services[0]?.environment.A).toBe('plain');
    const required = stack({ a: { image: 'a:1', environment: { A: { env: 'constructor' } } } });
    expect(resolveProblems(required, env)).toEqual(['constructor is required but not set']);
  });

  it('refuses a NUL character read from .env into an environment value', () => {
    const spec = stack({ a: { image: 'a:1', environment: { A: { env: 'GREETING' } } } });
    expect(resolveProblems(spec, {}, { GREETING: 'hi\0there' })).toEqual([
      'services.a.environment.A: GREETING (in .env) contains a NUL character, which no environment value can carry',
    ]);
  });
});
