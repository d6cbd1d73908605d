import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeVersion } from '../../service/supervisor/contract.js';
import { packageRoot } from '../package-root.js';
import { cacheRoot } from './build-cache.js';
import { bundleAll, entryFile } from './bundle-code.js';

describe('bundleCode', () => {
  const stacksDir = packageRoot();
  const bundles = {
    'app/service.js': { entry: join(packageRoot(), 'service/usersvc/main.ts'), target: 'node18' },
    'app/supervisor.js': { entry: 'esteps/supervisor', target: 'node18' },
  };

  it('finds the package root and the entries esteps provides', () => {
    expect(existsSync(join(packageRoot(), 'service', 'usersvc', 'main.ts'))).toBe(true);
    expect(existsSync(entryFile('esteps/supervisor'))).toBe(true);
  });

  it('bundles deterministically, with paths relative to the stack folder only', async () => {
    const [a, b] = await Promise.all([
      bundleAll(bundles, stacksDir, cacheRoot(process.env)),
      bundleAll(bundles, stacksDir, cacheRoot(process.env)),
    ]);
    const service = a['app/service.js']!;
    expect(service.equals(b['app/service.js']!)).toBe(true);
    expect(codeVersion(service)).toMatch(/^[0-9a-f]{12}$/);
    expect(service.toString()).not.toContain(packageRoot());
    expect(a['app/supervisor.js']!.toString()).toContain('esteps-supervisor.sock');
  }, 30_000);

  it('names the file, line and reason of code that does not bundle (BUILD_FAILED)', async () => {
    const broken = { entry: join(packageRoot(), 'service', 'no-such-file.ts'), target: 'node18' };
    await expect(
      bundleAll({ 'x.js': broken }, stacksDir, cacheRoot(process.env)),
    ).rejects.toMatchObject({
      code: 'BUILD_FAILED',
      message: expect.stringContaining('no-such-file.ts'),
    });
  });
});
