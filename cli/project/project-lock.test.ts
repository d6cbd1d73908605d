import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireProjectLock } from './project-lock.js';

describe('acquireProjectLock', () => {
  it('refuses a second holder with LOCKED, then allows it after release', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'esteps-lock-'));
    const first = await acquireProjectLock(cwd, 'demo', 'up');
    await expect(acquireProjectLock(cwd, 'demo', 'up')).rejects.toMatchObject({
      code: 'LOCKED',
      message: `Another esteps up (pid ${process.pid}) is working on project demo.`,
    });
    await first.release();
    expect(existsSync(first.path)).toBe(false);
    const second = await acquireProjectLock(cwd, 'demo', 'down');
    await second.release();
  });

  it('takes over a lock whose process is gone', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'esteps-lock-'));
    mkdirSync(join(cwd, '.esteps', 'demo'), { recursive: true });
    // pid 2^22+1 is above Linux's pid_max ceiling, so no process has it.
    const stale = { pid: 4194305, command: 'up', since: '2024-01-01T00:00:00Z' };
    const path = join(cwd, '.esteps', 'demo', 'lock');
    writeFileSync(path, JSON.stringify(stale));
    const lock = await acquireProjectLock(cwd, 'demo', 'up');
    expect(lock.path).toBe(path);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
      pid: process.pid,
      command: 'up',
    });
    await lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it('keeps projects independent', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'esteps-lock-'));
    const a = await acquireProjectLock(cwd, 'a', 'up');
    const b = await acquireProjectLock(cwd, 'b', 'up');
    expect(b.path).not.toBe(a.path);
    expect(existsSync(a.path) && existsSync(b.path)).toBe(true);
    await Promise.all([a.release(), b.release()]);
  });
});
