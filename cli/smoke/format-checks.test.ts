import { describe, expect, it } from 'vitest';
import { formatChecks } from './format-checks.js';

describe('formatChecks', () => {
  it('shows every check with its time, and what was expected and received on failure', () => {
    expect(
      formatChecks([
        { name: 'health', ok: true, durationMs: 3 },
        {
          name: 'create smoke-1234abcd-a',
          ok: false,
          durationMs: 1204,
          expected: '201 with a 32-hex-digit uuid',
          received: '503 {"error":"database unavailable"}',
        },
      ]),
    ).toBe(
      [
        'CHECK                    RESULT  TIME     DETAIL',
        'health                   ok      3 ms',
        'create smoke-1234abcd-a  FAILED  1204 ms  expected 201 with a 32-hex-digit uuid, got 503 {"error":"database unavailable"}',
      ].join('\n'),
    );
  });
});
