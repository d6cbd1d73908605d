import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from './suggest.js';

describe('didYouMean', () => {
  it('counts a swapped pair of letters as one typo', () => {
    expect(editDistance('CHWON', 'CHOWN')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(didYouMean('CHWON', ['CHOWN', 'KILL'])).toBe('; did you mean "CHOWN"?');
    expect(didYouMean('postgress', ['postgres', 'app'])).toBe('; did you mean "postgres"?');
    expect(didYouMean('zzz', ['postgres'])).toBe('');
  });
});
