import { describe, expect, it } from 'vitest';
import { createTar } from '../tar.js';
import { contextFile } from './context-file.js';

describe('contextFile', () => {
  const long = `${'d/'.repeat(60)}service.js`;
  const tar = createTar([
    { path: 'Dockerfile', data: Buffer.from('FROM x\n') },
    { path: 'app/service.js', data: Buffer.alloc(1300, 'a') },
    { path: long, data: Buffer.from('deep') },
  ]);

  it('finds a file by its path, past files of several blocks and split long paths', () => {
    expect(contextFile(tar, 'app/service.js')?.length).toBe(1300);
    expect(contextFile(tar, 'Dockerfile')?.toString()).toBe('FROM x\n');
    expect(contextFile(tar, long)?.toString()).toBe('deep');
  });

  it('gives undefined for a path the archive does not hold', () => {
    expect(contextFile(tar, 'app/other.js')).toBeUndefined();
  });
});
