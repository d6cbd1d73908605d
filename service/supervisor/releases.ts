/**
 * What a restart runs. A reload installs the new code for restarts: onto SERVICE_FILE when
 * that can be written (a container whose root is writable keeps it in its own layer), else
 * by recording the release in `releases/current.json` beside the release files. The image's
 * releases folder is a volume of the container (templates/usersvc/Dockerfile: `VOLUME`),
 * which outlives a restart, a crash and an engine restart; a tmpfs there does not, and the
 * reload's answer then says so.
 *
 * At start the supervisor runs the recorded release only when it was patched onto the code
 * it would otherwise run (SERVICE_FILE's version, the image's) in this same container: a
 * container that `esteps up` recreated, from a new image or not, runs its image's code
 * (the volume it was handed holds an older container's patch).
 */

import { readFileSync } from 'node:fs';
import { readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { posix } from 'node:path';

/** The release restarts run, as recorded in `releases/current.json`. */
export interface CurrentRelease {
  /** Its code version. */
  readonly version: string;
  /** Its file name in the releases folder. */
  readonly file: string;
  /** The version of SERVICE_FILE (the image's code) it was patched onto. */
  readonly base: string;
  /** The container (or host) it was patched in. */
  readonly container: string;
}

export const currentFileName = 'current.json';

/** Where releases of the code at `serviceFile` land (contract.ts, releaseFile). */
export function releasesDir(serviceFile: string): string {
  return posix.join(posix.dirname(serviceFile), 'releases');
}

export async function readCurrent(dir: string): Promise<CurrentRelease | undefined> {
  try {
    const value = JSON.parse(await readFile(posix.join(dir, currentFileName), 'utf8')) as Record<
      string,
      unknown
    >;
    const { version, file, base, container } = value;
    const fields = [version, file, base, container];
    if (!fields.every((field) => typeof field === 'string' && field !== '')) return undefined;
    // A file name, never a path out of the folder.
    if ((file as string).includes('/')) return undefined;
    return value as unknown as CurrentRelease;
  } catch {
    return undefined;
  }
}

/** Records `release` as the one restarts run: written beside, then renamed onto. */
export async function writeCurrent(dir: string, release: CurrentRelease): Promise<void> {
  const target = posix.join(dir, currentFileName);
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(release)}\n`, { mode: 0o644 });
    await rename(temporary, target);
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw err;
  }
}

export async function removeCurrent(dir: string): Promise<void> {
  await unlink(posix.join(dir, currentFileName)).catch(() => undefined);
}

/**
 * Removes the release files of the folder but `keep` (file names), and temporary files of
 * writes older than a minute: a volume keeps what a tmpfs lost at each restart.
 */
export async function pruneReleases(dir: string, keep: readonly string[]): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const now = Date.now();
  await Promise.all(
    names.map(async (name) => {
      const path = posix.join(dir, name);
      if (/^service-[0-9a-f]+\.js$/.test(name) && !keep.includes(name)) {
        await unlink(path).catch(() => undefined);
      } else if (name.endsWith('.tmp')) {
        const info = await stat(path).catch(() => undefined);
        if (info !== undefined && now - info.mtimeMs > 60_000) {
          await unlink(path).catch(() => undefined);
        }
      }
    }),
  );
}

/** One line of /proc/self/mountinfo: where a file system is mounted, and its type. */
interface Mount {
  readonly root: string;
  readonly target: string;
  readonly type: string;
}

/** The lines of /proc/self/mountinfo (proc(5)), with their octal escapes undone. */
export function parseMountinfo(text: string): Mount[] {
  const decode = (field: string) =>
    field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return text.split('\n').flatMap((line) => {
    const fields = line.split(' ');
    const separator = fields.indexOf('-');
    if (separator < 6 || fields.length < separator + 2) return [];
    return [{ root: decode(fields[3]!), target: decode(fields[4]!), type: fields[separator + 1]! }];
  });
}

/** The type of the file system `path` (absolute) lies on: the longest mount point above it. */
export function fileSystemOf(mounts: readonly Mount[], path: string): string | undefined {
  let best: Mount | undefined;
  for (const mount of mounts) {
    const under =
      path === mount.target ||
      mount.target === '/' ||
      path.startsWith(mount.target.endsWith('/') ? mount.target : `${mount.target}/`);
    if (under && (best === undefined || mount.target.length >= best.target.length)) best = mount;
  }
  return best?.type;
}

/**
 * The container this runs in: its id, from the files the engine mounts into every
 * container (`/var/lib/docker/containers/<id>/hostname`); else the host name.
 */
export function containerIdentity(mounts: readonly Mount[]): string {
  for (const mount of mounts) {
    const id = /\/containers\/([0-9a-f]{64})\//.exec(mount.root)?.[1];
    if (id !== undefined) return id;
  }
  return hostname();
}

/** /proc/self/mountinfo, or none where there is no such file (not Linux). */
export function readMounts(): Mount[] {
  try {
    return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return [];
  }
}
