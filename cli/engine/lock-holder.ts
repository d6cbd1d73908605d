/**
 * Who holds a project's lock, and whether they still do: pure decisions over what the lock
 * container says (project-lock.ts reads it), so they are tested with literal facts.
 */

/** The holder's facts, as its lock's `com.esteps.lock-holder` label carries them (JSON). */
export interface LockHolder {
  /** The esteps command: `up`, `down`, `hotpatch`. */
  readonly command: string;
  readonly pid: number;
  /** `os.hostname()` of the holder's machine. */
  readonly host: string;
  /**
   * The holder's kernel boot (Linux's boot_id; '' elsewhere): the same host name on another
   * machine, or after a reboot, is not this process table.
   */
  readonly boot: string;
  /** How often the holder beats; it is taken for dead after `staleBeats` missed beats. */
  readonly heartbeatMs: number;
}

/** Beats a holder may miss before its lock is taken over. */
export const staleBeats = 5;

/** What a command that finds the lock held knows, all times on the engine's clock. */
export interface LockObservation {
  readonly holder: LockHolder | undefined;
  /** When the lock was created (the container's `Created`). */
  readonly createdMs: number;
  /** The holder's last beat, as ms after `createdMs` (0: none yet). */
  readonly beatMs: number;
  /** The engine's clock now. */
  readonly engineNowMs: number;
}

/** This process's machine, to tell whether a holder's pid can be looked up here. */
export interface LockHere {
  readonly host: string;
  readonly boot: string;
  readonly isAlive: (pid: number) => boolean;
}

export type HolderState =
  | { readonly stale: false; readonly heardAgoMs: number }
  | { readonly stale: true; readonly heardAgoMs: number; readonly reason: string };

/**
 * Whether the holder is gone: on this machine, its process no longer runs (killed, a second
 * Ctrl-C); anywhere, it missed `staleBeats` beats (a machine that crashed, a process that no
 * longer runs under a reused pid). A lock without readable facts is stale once it missed as
 * many beats of the default interval.
 */
export function holderState(seen: LockObservation, here: LockHere): HolderState {
  const heardAgoMs = Math.max(0, seen.engineNowMs - (seen.createdMs + seen.beatMs));
  const { holder } = seen;
  if (holder && holder.host === here.host && holder.boot === here.boot) {
    if (!here.isAlive(holder.pid)) {
      return { stale: true, heardAgoMs, reason: `process ${holder.pid} no longer runs` };
    }
  }
  const limitMs = staleBeats * (holder?.heartbeatMs ?? defaultHeartbeatMs);
  if (heardAgoMs > limitMs) {
    return { stale: true, heardAgoMs, reason: `not heard from for ${seconds(heardAgoMs)}` };
  }
  return { stale: false, heardAgoMs };
}

/** How often a holder beats unless told otherwise. */
export const defaultHeartbeatMs = 3000;

/** The holder's label value, or undefined when it is not one (a lock by hand, say). */
export function parseHolder(label: string | undefined): LockHolder | undefined {
  if (!label) return undefined;
  try {
    const value = JSON.parse(label) as Partial<LockHolder>;
    if (
      typeof value.command === 'string' &&
      typeof value.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.boot === 'string' &&
      typeof value.heartbeatMs === 'number' &&
      value.heartbeatMs > 0
    ) {
      return value as LockHolder;
    }
  } catch {
    // Not ours: described as an unknown holder.
  }
  return undefined;
}

/** `esteps up (pid 4242 on this machine)`, `esteps down (pid 17 on host ci-7)`. */
export function describeHolder(holder: LockHolder | undefined, here: LockHere): string {
  if (!holder) return 'an unknown holder';
  const where =
    holder.host === here.host && holder.boot === here.boot
      ? 'on this machine'
      : `on host ${holder.host}`;
  return `esteps ${holder.command} (pid ${holder.pid} ${where})`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
