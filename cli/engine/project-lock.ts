import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { EstepsError } from '../errors.js';
import { statusCode } from './engine-errors.js';
import { labels } from './labels.js';
import {
  defaultHeartbeatMs,
  describeHolder,
  holderState,
  type LockHere,
  type LockHolder,
  parseHolder,
  seconds,
  staleBeats,
} from './lock-holder.js';
import { ensureVolumeHelperImage, volumeHelperImage } from './secrets/volume-helper.js';

/**
 * One command that changes a project at a time (up, down, hotpatch, a watch's patch), on the
 * engine the project runs on, whatever folder or machine the commands run from: the lock is
 * a container named `esteps-lock.<project>`, created and never started (the engine refuses a
 * second container of that name, atomically), labelled with who holds it, and removed on
 * release. Refusing beats waiting: the other run may take minutes, and the user should know
 * it exists.
 *
 * A holder that died must not block forever. On its own machine, its pid is looked up: a
 * process that no longer runs (killed, a second Ctrl-C) is taken over at once. Anywhere, the
 * holder beats every few seconds, and one that missed `staleBeats` beats (a machine that
 * crashed or lost the engine) is taken over. The beat is the time since the lock was made,
 * written as the container's pids limit: a never-started container's limits are inert, its
 * labels cannot change, and `docker update` is the cheap write the engine offers (a file
 * written into it costs the engine a mount, 0.5 s). Elapsed time on the holder's clock after
 * the engine's `Created`, compared with the engine's clock: no two machines' clocks meet.
 */
export interface EngineLock extends AsyncDisposable {
  readonly name: string;
  /** When the lock was taken over from a holder that is gone: who, and why it counts as gone. */
  readonly tookOver?: string;
  release(): Promise<void>;
}

export interface LockOptions {
  /** How often this holder beats. @default 3000 */
  readonly heartbeatMs?: number;
}

/** The lock container's name. */
export function lockName(project: string): string {
  return `esteps-lock.${project}`;
}

/**
 * True while some command holds the project's lock (its container exists): what a read-only
 * `up` (nothing to change) checks instead of taking the lock, beside its plan.
 */
export async function lockHeld(docker: Docker, project: string): Promise<boolean> {
  try {
    await docker.getContainer(lockName(project)).inspect();
    return true;
  } catch (err) {
    if (statusCode(err) === 404) return false;
    throw err;
  }
}

export async function lockProject(
  docker: Docker,
  project: string,
  command: string,
  options: LockOptions = {},
): Promise<EngineLock> {
  const name = lockName(project);
  const here = thisMachine();
  const heartbeatMs = options.heartbeatMs ?? defaultHeartbeatMs;
  const holder: LockHolder = {
    command,
    pid: process.pid,
    host: here.host,
    boot: here.boot,
    heartbeatMs,
  };
  let tookOver: string | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const created = await createLock(docker, project, name, holder);
    if (created) return held(created, name, heartbeatMs, tookOver);
    const current = await docker
      .getContainer(name)
      .inspect()
      .catch((err: unknown) => {
        if (statusCode(err) === 404) return undefined;
        throw err;
      });
    // Released between our attempt and the look: try again.
    if (!current) continue;
    const seen = {
      holder: parseHolder(current.Config.Labels?.[labels.lockHolder]),
      createdMs: Date.parse(current.Created),
      beatMs: Math.max(0, current.HostConfig.PidsLimit ?? 0),
      engineNowMs: Date.parse((await docker.info()).SystemTime as string),
    };
    const state = holderState(seen, here);
    const who = describeHolder(seen.holder, here);
    if (!state.stale) {
      throw new EstepsError(
        'LOCKED',
        `Another ${who} is working on project ${project} (since ${clock(seen.createdMs)}, heard from ${seconds(state.heardAgoMs)} ago).`,
        {
          hint: `Wait for it to finish. A holder that is gone is taken over by the next command: at once on the same machine, else once it missed ${staleBeats} heartbeats; by hand: docker rm -f ${name}.`,
          details: { lock: name, holder: seen.holder ?? null, since: current.Created },
        },
      );
    }
    // Removed by id: a holder that took over meanwhile keeps its own lock of the same name.
    await docker
      .getContainer(current.Id)
      .remove({ force: true })
      .catch((err: unknown) => {
        if (statusCode(err) !== 404) throw err;
      });
    tookOver = `${who}, ${state.reason}`;
  }
  throw new EstepsError('LOCKED', `Could not take the lock of project ${project}.`, {
    hint: `Another command took it meanwhile; retry once it is done (docker ps -a --filter name=${name}).`,
  });
}

/** The lock container, or undefined when the name is taken. Makes the helper image on need. */
async function createLock(
  docker: Docker,
  project: string,
  name: string,
  holder: LockHolder,
): Promise<Docker.Container | undefined> {
  const spec = {
    name,
    Image: volumeHelperImage,
    Cmd: ['/none'],
    Labels: { [labels.lock]: project, [labels.lockHolder]: JSON.stringify(holder) },
    NetworkDisabled: true,
    HostConfig: { NetworkMode: 'none' },
  };
  for (let attempt = 0; ; attempt++) {
    try {
      return await docker.createContainer(spec);
    } catch (err) {
      if (statusCode(err) === 409) return undefined;
      if (statusCode(err) !== 404 || attempt > 0) throw err;
      await ensureVolumeHelperImage(docker);
    }
  }
}

function held(
  container: Docker.Container,
  name: string,
  heartbeatMs: number,
  tookOver: string | undefined,
): EngineLock {
  const since = performance.now();
  let beating: Promise<unknown> | undefined;
  // Unreferenced: a beat never keeps a finished command alive.
  const timer = setInterval(() => {
    beating ??= container
      .update({ PidsLimit: Math.round(performance.now() - since) })
      .catch(() => undefined)
      .finally(() => {
        beating = undefined;
      });
  }, heartbeatMs).unref();
  let released: Promise<void> | undefined;
  const release = () => {
    released ??= (async () => {
      clearInterval(timer);
      await beating;
      await container.remove({ force: true }).catch((err: unknown) => {
        // Already gone (taken over after a long stall, or removed by hand): nothing to release.
        if (statusCode(err) !== 404) throw err;
      });
    })();
    return released;
  };
  return {
    name,
    ...(tookOver !== undefined && { tookOver }),
    release,
    [Symbol.asyncDispose]: release,
  };
}

function thisMachine(): LockHere & { host: string; boot: string } {
  let boot = '';
  try {
    boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // Not Linux: the host name alone says whether a pid can be looked up here.
  }
  return { host: hostname(), boot, isAlive };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `16:40:58` in local time. */
function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}
