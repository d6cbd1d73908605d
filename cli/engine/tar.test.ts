import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTar } from './tar.js';

describe('createTar', () => {
  const entries = [
    { path: 'b/file.txt', data: Buffer.from('second\n') },
    { path: 'a.sh', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
  ];

  it('is deterministic and independent of entry order', () => {
    expect(createTar(entries).equals(createTar([...entries].reverse()))).toBe(true);
  });

  it('writes an archive that tar reads back, with modes and sorted entries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esteps-tar-'));
    writeFileSync(join(dir, 'ctx.tar'), createTar(entries));
    const list = execFileSync('tar', ['-tvf', 'ctx.tar'], { cwd: dir, encoding: 'utf8' });
    expect(list.split('\n')[0]).toMatch(/^-rwxr-xr-x 0\/0 .* a\.sh$/);
    execFileSync('tar', ['-xf', 'ctx.tar'], { cwd: dir });
    expect(readFileSync(join(dir, 'b/file.txt'), 'utf8')).toBe('second\n');
    expect(statSync(join(dir, 'a.sh')).mtime.toISOString()).toBe('2000-01-01T00:00:00.000Z');
  });

  it('writes symbolic links as links, as docker build keeps them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esteps-tar-'));
    const tar = createTar([
      { path: 'real.txt', data: Buffer.from('real\n') },
      { path: 'link.txt', data: Buffer.alloc(0), linkTarget: 'real.txt' },
      { path: 'out', data: Buffer.alloc(0), linkTarget: '../outside/thing' },
    ]);
    writeFileSync(join(dir, 'ctx.tar'), tar);
    const list = execFileSync('tar', ['-tvf', 'ctx.tar'], { cwd: dir, encoding: 'utf8' });
    expect(list).toMatch(/^lrwxrwxrwx 0\/0 .* link\.txt -> real\.txt$/m);
    expect(list).toMatch(/^lrwxrwxrwx 0\/0 .* out -> \.\.\/outside\/thing$/m);
    execFileSync('tar', ['-xf', 'ctx.tar'], { cwd: dir });
    expect(readlinkSync(join(dir, 'link.txt'))).toBe('real.txt');
    expect(readFileSync(join(dir, 'link.txt'), 'utf8')).toBe('real\n');
    expect(() =>
      createTar([{ path: 'l', data: Buffer.alloc(0), linkTarget: 'x'.repeat(101) }]),
    ).toThrow('too long');
  });

  it('keeps paths longer than 100 bytes (ustar prefix), as a context with node_modules has', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esteps-tar-'));
    const long = `${'deep/'.repeat(30)}file.js`;
    writeFileSync(join(dir, 'ctx.tar'), createTar([{ path: long, data: Buffer.from('x') }]));
    execFileSync('tar', ['-xf', 'ctx.tar'], { cwd: dir });
    expect(readFileSync(join(dir, long), 'utf8')).toBe('x');
    expect(() => createTar([{ path: 'x'.repeat(300), data: Buffer.alloc(0) }])).toThrow('too long');
  });
});
