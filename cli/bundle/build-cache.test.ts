import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCache } from './build-cache.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('build cache', () => {
  it('reuses an output while its inputs keep their bytes, and not after', async () => {
    dir = await mkdtemp(join(tmpdir(), 'esteps-cache-'));
    const input = join(dir, 'app.ts');
    await writeFile(input, 'one');
    const cache = buildCache(join(dir, 'cache'));
    await cache.store('k', Buffer.from('out one'), [input], '.js', Date.now() + 1000);
    expect(await cache.lookup('k')).toBeDefined();
    await writeFile(input, 'two');
    expect(await cache.lookup('k')).toBeUndefined();
  });

  it('refuses to store an output whose input was saved again after the build began', async () => {
    dir = await mkdtemp(join(tmpdir(), 'esteps-cache-'));
    const input = join(dir, 'app.ts');
    const builtAt = Date.now() - 1000;
    // Saved while the build ran: the output may hold the old bytes, the file the new.
    await writeFile(input, 'saved during the build');
    const cache = buildCache(join(dir, 'cache'));
    await expect(cache.store('k', Buffer.from('old'), [input], '.js', builtAt)).rejects.toThrow(
      /changed during or after the build/,
    );
    expect(await cache.lookup('k')).toBeUndefined();
  });
});
