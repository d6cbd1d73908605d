import { describe, expect, it } from 'vitest';
import { checkDebounce as debounceOption } from './watch.js';

describe('watch --debounce', () => {
  it('defaults to 50 ms and takes whole milliseconds from 1 to 10000', () => {
    expect(debounceOption(undefined)).toBe(50);
    expect(debounceOption('400')).toBe(400);
    expect(debounceOption(' 1 ')).toBe(1);
    expect(debounceOption('10000')).toBe(10_000);
  });

  it.each(['', '0', '-5', '1.5', '2s', 'abc', '10001'])('refuses %j as a usage error', (v) => {
    expect(() => debounceOption(v)).toThrow(
      expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('--debounce') }),
    );
  });
});
