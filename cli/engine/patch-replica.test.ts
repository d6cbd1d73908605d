import { describe, expect, it } from 'vitest';
import { shellMissing } from './patch-replica.js';

describe('shellMissing', () => {
  // What Engine 20.10 (API 1.41) streams back, exit code 126, for an exec of a missing binary.
  const missing = (name: string) =>
    `OCI runtime exec failed: exec failed: unable to start container process: exec: "${name}": executable file not found in $PATH: unknown\r\n`;

  it('is true only when the engine could not find sh itself', () => {
    expect(shellMissing({ exitCode: 126, stdout: missing('sh'), stderr: '' })).toBe(true);
    expect(shellMissing({ exitCode: 127, stdout: '', stderr: missing('sh') })).toBe(true);
  });

  it('is false for sh running and failing, another missing binary, or a normal exit', () => {
    // sh ran, and found no node: the client's own failure, reported as it is.
    expect(
      shellMissing({ exitCode: 127, stdout: '', stderr: 'sh: 1: exec: node: not found\n' }),
    ).toBe(false);
    expect(shellMissing({ exitCode: 126, stdout: missing('node'), stderr: '' })).toBe(false);
    expect(shellMissing({ exitCode: 1, stdout: missing('sh'), stderr: '' })).toBe(false);
    expect(shellMissing(undefined)).toBe(false);
  });
});
