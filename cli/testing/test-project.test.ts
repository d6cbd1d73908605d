import { describe, expect, it } from 'vitest';
import { defineStack } from '../../stacks/api/index.js';
import step1 from '../../stacks/builtin/step1.js';
import { resolveStack } from '../../stacks/resolve/resolve-stack.js';
import { testPorts, testProjectName } from './test-project.js';

const resolve = (spec: Parameters<typeof resolveStack>[0]) =>
  resolveStack(spec, { file: '/x/esteps.stack.ts', project: 'p', env: {}, dotEnv: {} });

describe('testProjectName', () => {
  it('is the prefix and 8 random hex digits, new each time', () => {
    const a = testProjectName({ reuse: false, stackName: 'step1' });
    const b = testProjectName({ reuse: false, stackName: 'step1' });
    expect(a).toMatch(/^step1-test-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(testProjectName({ reuse: false, stackName: 'step1', prefix: 'mine' })).toMatch(
      /^mine-[0-9a-f]{8}$/,
    );
  });

  it('is the prefix alone with reuse, and the given project whatever else', () => {
    expect(testProjectName({ reuse: true, stackName: 'step1' })).toBe('step1-test');
    expect(testProjectName({ reuse: false, stackName: 'step1', project: 'given' })).toBe('given');
  });

  it('stays within 63 characters for a stack name of 63', () => {
    const name = testProjectName({ reuse: false, stackName: 'a'.repeat(63) });
    expect(name.length).toBeLessThanOrEqual(63);
  });

  it('refuses a prefix that is no project name (USAGE)', () => {
    expect(() => testProjectName({ reuse: false, stackName: 's', prefix: 'Bad Prefix' })).toThrow(
      expect.objectContaining({ code: 'USAGE' }),
    );
    expect(() => testProjectName({ reuse: false, stackName: 's', prefix: 'a'.repeat(55) })).toThrow(
      expect.objectContaining({ code: 'USAGE' }),
    );
  });
});

describe('testPorts', () => {
  it("gives step 1's port variable to the engine unless the caller set it", () => {
    expect(testPorts(resolve(step1), {})).toEqual({
      enginePicked: { ESTEPS_USERSVC_PORT: '0' },
      literal: [],
    });
    expect(testPorts(resolve(step1), { ESTEPS_USERSVC_PORT: '5001' }).enginePicked).toEqual({});
  });

  it('names host ports written as numbers, and leaves 0 and unpublished ports alone', () => {
    const stack = defineStack({
      name: 'ports',
      services: {
        web: {
          image: 'node:20',
          ports: [
            { hostPort: 8080, containerPort: 80 },
            { hostPort: 0, containerPort: 81 },
            { hostPort: { env: 'ADMIN_PORT', default: '9000' }, containerPort: 82 },
          ],
        },
      },
    });
    expect(testPorts(resolve(stack), {})).toEqual({
      enginePicked: { ADMIN_PORT: '0' },
      literal: [{ path: 'services.web.ports[0].hostPort', hostPort: 8080 }],
    });
  });
});
