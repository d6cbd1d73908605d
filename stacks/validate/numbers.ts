/**
 * Number rules shared by the checks. A stack is plain JavaScript at run time: `1e300` is an
 * integer to `Number.isInteger` but no int64 the engine's JSON decoder takes, and a duration
 * is handed to a Node.js timer, which fires at once past 2^31 - 1 ms.
 */

/** The longest a Node.js timer waits: every duration of a stack stays within it. */
export const maxDurationMs = 2_147_483_647;

/** The largest uid or gid the engine's runtime takes (runc: "uids and gids must be in range"). */
export const maxId = 2_147_483_647;

/**
 * The largest uid or gid of a secret file: esteps writes secret files through a ustar
 * archive (cli/engine/tar.ts), whose header holds 7 octal digits.
 */
export const maxTarId = 0o7777777;

export function isWhole(value: number, min: number, max = Number.MAX_SAFE_INTEGER): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** `must be a whole number from MIN to MAX, got X` (`of at least MIN` when MAX is the safe limit). */
export function wholeRule(value: number, min: number, max = Number.MAX_SAFE_INTEGER): string {
  if (max === Number.MAX_SAFE_INTEGER && !(Number.isInteger(value) && value > max)) {
    return `must be a whole number of at least ${min}, got ${value}`;
  }
  return `must be a whole number from ${min} to ${max}, got ${value}`;
}

/** A duration in whole milliseconds: `from MIN to 2147483647`. */
export function durationProblem(value: number | undefined, min: number): string | undefined {
  if (value === undefined || isWhole(value, min, maxDurationMs)) return undefined;
  return `must be a whole number of milliseconds from ${min} to ${maxDurationMs}, got ${value}`;
}

/**
 * Why a numeric owner (`uid` or `uid:gid`) is not one, or undefined. `max` is the largest id
 * the place it goes to takes.
 */
export function ownerProblem(owner: string, max = maxId): string | undefined {
  if (!/^\d+(:\d+)?$/.test(owner)) return `must be a numeric "uid:gid", got "${owner}"`;
  if (owner.split(':').some((id) => Number(id) > max)) {
    return `ids go from 0 to ${max}, got "${owner}"`;
  }
  return undefined;
}
