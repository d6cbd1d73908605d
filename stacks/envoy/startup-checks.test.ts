import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startupChecks } from './startup-checks.js';

describe('startupChecks', () => {
  it("are each a row of the README's table, with what they check", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const [id, check] of Object.entries(startupChecks)) {
      expect(readme, id).toContain(`| \`${id}\` | ${check.area} | ${check.what}`);
    }
  });
});
