import { describe, expect, it } from 'vitest';
import { hashSlots } from './users.js';

describe('hashSlots', () => {
  it('shares one hash per core, at most two a container, among the workers', () => {
    expect(hashSlots(2, undefined)).toBe(2);
    expect(hashSlots(8, '1')).toBe(2);
    expect(hashSlots(2, '2')).toBe(1);
    expect(hashSlots(1, '2')).toBe(1);
    expect(hashSlots(16, '4')).toBe(1);
    expect(hashSlots(2, 'two')).toBe(2);
  });
});
