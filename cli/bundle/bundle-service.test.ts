import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../package-root.js';
import { bundleService, bundleVersion } from './bundle-service.js';

describe('bundleService', () => {
  it('finds the package root from its own location', () => {
    expect(existsSync(join(packageRoot(), 'service', 'main.ts'))).toBe(true);
  });

  it('bundles deterministically, naming the version after the service bytes', async () => {
    const [a, b] = await Promise.all([bundleService(packageRoot()), bundleService(packageRoot())]);
    expect(a.version).toBe(b.version);
    expect(a.service.equals(b.service)).toBe(true);
    expect(a.version).toBe(createHash('sha256').update(a.service).digest('hex').slice(0, 12));
    expect(bundleVersion(a.service)).toBe(a.version);
    expect(a.service.toString()).not.toContain(packageRoot());
    expect(a.supervisor.toString()).toContain('supervisor.js');
  }, 30_000);
});
