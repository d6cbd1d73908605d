import { describe, expect, it } from 'vitest';
import step1 from '../../../stacks/builtin/step1.js';
import { resolveStack } from '../../../stacks/resolve/resolve-stack.js';
import {
  dataVolumeSecrets,
  dataVolumeSecretsLabel,
  findSecretMismatches,
  parseSecretsLabel,
} from './secret-markers.js';

const stack = resolveStack(step1, { file: '/repo/stacks/builtin/step1.ts', project: 'p', env: {} });

describe('secret markers of data volumes', () => {
  it('labels a data volume with the revisions of the secrets of the services that write it', () => {
    expect(dataVolumeSecrets(stack, 'pgdata')).toEqual(['dbPassword']);
    expect(dataVolumeSecretsLabel(stack, 'pgdata', { dbPassword: 'abc' })).toBe('dbPassword=abc');
    expect(dataVolumeSecretsLabel(stack, 'pgdata', {})).toBeUndefined();
    expect(parseSecretsLabel('dbPassword=abc,apiKey=def')).toEqual({
      dbPassword: 'abc',
      apiKey: 'def',
    });
  });

  it('finds a volume whose secret is gone or changed, and ignores one without a label', () => {
    const labels = { p_pgdata: 'dbPassword=abc', p_other: undefined };
    expect(findSecretMismatches(labels, { dbPassword: 'abc' })).toEqual([]);
    expect(findSecretMismatches(labels, {})).toEqual([
      { volume: 'p_pgdata', secret: 'dbPassword', cause: 'missing' },
    ]);
    expect(findSecretMismatches(labels, { dbPassword: 'xyz' })).toEqual([
      { volume: 'p_pgdata', secret: 'dbPassword', cause: 'changed' },
    ]);
  });
});
