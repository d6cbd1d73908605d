import { mkdir, open, readFile, rmdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EstepsError } from '../errors.js';
import { lockFilePath } from './state-dir.js';

/**
 * One command that changes a project at a time (up, down, hotpatch, a watch's patch): an
 * exclusive lock file `.esteps/<project>/lock` (created with O_EXCL) holding the owner's pid. A lock whose
 * pid no longer runs (killed, second Ctrl-C) is stale and taken over. Refusing beats waiting:
 * the other run may take minutes, and the user should know it exists.
 */
export interface ProjectLock extends AsyncDisposable {
  readonly path: string;
  release(): Promise<void>;
}

interface LockOwner {
  readonly pid: number;
  readonly command: string;
  readonly since: string;
}

export async function acquireProjectLock(
  projectDir: string,
  project: string,
  command: string,
): Promise<ProjectLock> {
  const path = lockFilePath(projectDir, project);
  await mkdir(dirname(path), { recursive: true });
  const owner: LockOwner = { pid: process.pid, command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${JSON.stringify(owner)}\n`);
      await handle.close();
      const release = () => releaseLock(path);
      return { path, release, [Symbol.asyncDispose]: release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const current = await readOwner(path);
    if (current && isAlive(current.pid)) {
      throw new EstepsError(
        'LOCKED',
        `Another esteps ${current.command} (pid ${current.pid}) is working on project ${project}.`,
        {
          hint: `Wait for it to finish; if no such process runs, remove ${path}.`,
          details: { pid: current.pid, since: current.since, lockFile: path },
        },
      );
    }
    await unlink(path).catch(() => undefined);
  }
  throw new EstepsError('LOCKED', `Could not take the lock for project ${project}.`, {
    hint: `Retry; if it persists, remove ${path}.`,
  });
}

/** Removes the lock, and the project's state folder when the lock was all it held. */
async function releaseLock(path: string): Promise<void> {
  const current = await readOwner(path);
  if (current?.pid !== process.pid) return;
  await unlink(path).catch(() => undefined);
  const state = dirname(path);
  await rmdir(state).catch(() => undefined);
  await rmdir(dirname(state)).catch(() => undefined);
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockOwner;
  } catch {
    // Unreadable or half-written: treated as stale (the writer holds it for microseconds).
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
