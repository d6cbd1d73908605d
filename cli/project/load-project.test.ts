import { describe, expect, it } from 'vitest';
import { EstepsError } from '../errors.js';
import { projectName } from './load-project.js';

/** The error projectName throws: code, exit code, message, hint. */
function refusal(run: () => string) {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(EstepsError);
    const e = err as EstepsError;
    return { code: e.code, exitCode: e.exitCode, message: e.message, hint: e.hint };
  }
  throw new Error('expected a refusal');
}

describe('projectName', () => {
  it('takes -p, then ESTEPS_PROJECT from the environment, then .env, then the stack name', () => {
    expect(projectName({ project: 'p1', env: { ESTEPS_PROJECT: 'e1' } }, {}, 'stack')).toBe('p1');
    const fromEnv = { env: { ESTEPS_PROJECT: 'e1' } };
    expect(projectName(fromEnv, { ESTEPS_PROJECT: 'd1' }, 'stack')).toBe('e1');
    expect(projectName({ env: {} }, { ESTEPS_PROJECT: 'd1' }, 'stack')).toBe('d1');
    expect(projectName({ env: { ESTEPS_PROJECT: '' } }, {}, 'stack')).toBe('stack');
  });

  it('names ESTEPS_PROJECT and where it was set when its value is no project name', () => {
    expect(refusal(() => projectName({ env: { ESTEPS_PROJECT: 'My App' } }, {}, 'stack'))).toEqual({
      code: 'CONFIG_INVALID',
      exitCode: 3,
      message:
        'ESTEPS_PROJECT (in the environment) is not a valid project name: "My App" is not a valid name: use lower-case letters, digits, "-" and "_", starting with a letter or digit.',
      hint: 'Set ESTEPS_PROJECT in the environment to a name of lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 63 characters, or give -p NAME.',
    });
    const long = 'a'.repeat(64);
    expect(
      refusal(() => projectName({ env: {} }, { ESTEPS_PROJECT: long }, 'stack', '/w/.env')),
    ).toMatchObject({
      code: 'CONFIG_INVALID',
      message: `ESTEPS_PROJECT (in /w/.env) is not a valid project name: "${'a'.repeat(37)}..." is 64 characters long: use at most 63.`,
      hint: expect.stringMatching(
        /^Set ESTEPS_PROJECT in \/w\/\.env to a name of .*at most 63 characters, or give -p NAME\.$/,
      ),
    });
  });

  it('says a -p name is too long rather than badly made', () => {
    expect(refusal(() => projectName({ project: 'x'.repeat(70), env: {} }, {}, 'stack'))).toEqual({
      code: 'USAGE',
      exitCode: 2,
      message: `The project name "${'x'.repeat(37)}..." given with -p is 70 characters long: use at most 63.`,
      hint: 'Give -p a name of lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 63 characters.',
    });
    expect(refusal(() => projectName({ project: 'Bad', env: {} }, {}, 'stack')).message).toBe(
      'The project name "Bad" given with -p is not a valid name: use lower-case letters, digits, "-" and "_", starting with a letter or digit.',
    );
  });
});
