import { describe, expect, it } from 'vitest';
import { formatTable } from './table.js';

describe('formatTable', () => {
  it('aligns columns to the widest cell', () => {
    expect(
      formatTable(
        ['SERVICE', 'STATE'],
        [
          ['postgres', 'running'],
          ['usersvc', 'exited'],
        ],
      ),
    ).toBe('SERVICE   STATE\npostgres  running\nusersvc   exited');
  });
});
