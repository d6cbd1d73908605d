import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireProjectLock } from './lock.js';

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
    writeFileSync(join(cwd, '.esteps', 'demo', 'up.lock'), JSON.stringify(stale));
    const lock = await acquireProjectLock(cwd, 'demo', 'up');
    await lock.release();
  });

  it('keeps projects independent', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'esteps-lock-'));
    const a = await acquireProjectLock(cwd, 'a', 'up');
    const b = await acquireProjectLock(cwd, 'b', 'up');
    await Promise.all([a.release(), b.release()]);
  });
});
