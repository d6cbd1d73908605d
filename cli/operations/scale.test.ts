import { describe, expect, it } from 'vitest';
import step1 from '../../stacks/builtin/step1.js';
import step3 from '../../stacks/builtin/step3.js';
import type { StackSpec } from '../../stacks/model/model.js';
import { resolveStack } from '../../stacks/resolve/resolve-stack.js';
import { checkScale } from './scale.js';

const resolved = (spec: StackSpec, env: Record<string, string>) =>
  resolveStack(spec, { file: '/repo/stacks/builtin/step.ts', project: 'demo', env });

describe('checkScale', () => {
  it('refuses N replicas of a fixed host port, naming the variable that sets it', () => {
    const stack = resolved(step1, { ESTEPS_USERSVC_PORT: '5000' });
    expect(() => checkScale(stack, { usersvc: 3 })).toThrow(
      expect.objectContaining({
        code: 'USAGE',
        message:
          '--scale usersvc=3: 3 replicas cannot all publish host port 5000 (services.usersvc.ports[0].hostPort).',
        hint: 'Set ESTEPS_USERSVC_PORT=0 (the engine picks a port for each replica), or scale usersvc to 1.',
      }),
    );
  });

  it('takes N replicas on port 0, one replica on a fixed port, and one per node on a Swarm', () => {
    expect(checkScale(resolved(step1, { ESTEPS_USERSVC_PORT: '0' }), { usersvc: 3 })).toEqual({
      usersvc: 3,
    });
    expect(checkScale(resolved(step1, {}), { usersvc: 1, postgres: 0 })).toEqual({
      usersvc: 1,
      postgres: 0,
    });
    expect(checkScale(resolved(step3, {}), { usersvc: 5 })).toEqual({ usersvc: 5 });
  });
});
