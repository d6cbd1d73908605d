/**
 * Reading a project's secret volumes straight from their folders on the engine's host, when
 * esteps runs on that host with the right to read them (a root engine used as root, a
 * rootless engine by its own user). The archive API needs a helper container and costs 50 to
 * 70 ms a call (the engine mounts the volumes and tars them in a process of its own); reading
 * the folders costs about a millisecond, which is most of what a no-op `up` waited for.
 *
 * It is only ever a shortcut, never the judge:
 * - only for an engine reached over a unix socket of this machine (endpoint/local-engine.ts):
 *   a TCP, TLS or SSH engine's folders are on another machine, even where this one has a
 *   folder of the same path;
 * - the values volume must carry a random id as a label (given when esteps created it) that
 *   its folder also holds as a file, so a folder that merely has the same path (a client in a
 *   container talking to its host's engine, a remote engine) is never taken for the volume;
 * - only volumes of the `local` driver without options (no tmpfs, NFS or bind: those are
 *   mounted elsewhere while in use), all under the same volumes folder as the values;
 * - anything it cannot read gives `undefined`, and a caller reads through the engine when
 *   what it found differs from what it wants (stack-secrets.ts).
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type Docker from 'dockerode';
import { isLocalEngine } from '../endpoint/local-engine.js';
import { labels } from '../labels.js';
import type { VolumeFile } from './volume-helper.js';

/** The file in `<project>.secrets` that holds the volume's id label. */
export const volumeIdFile = '.esteps-volume-id';

/**
 * Every regular file at the root of each volume, by name (the values volume first, then
 * `others` in order), read from the host; `undefined` when `docker`'s engine is not local or
 * any of them cannot be read here.
 */
export async function readVolumesLocally(
  docker: Docker,
  values: Docker.VolumeInspectInfo,
  others: readonly Docker.VolumeInspectInfo[],
): Promise<ReadonlyMap<string, VolumeFile>[] | undefined> {
  if (!isLocalEngine(docker)) return undefined;
  const id = values.Labels?.[labels.volumeId];
  const all = [values, ...others];
  if (!id || !all.every(isPlainLocal)) return undefined;
  const root = volumesFolder(values);
  if (others.some((v) => volumesFolder(v) !== root)) return undefined;
  try {
    const marker = await readFile(join(values.Mountpoint, volumeIdFile), 'utf8');
    if (marker !== id) return undefined;
    return await Promise.all(all.map((v) => readFolder(v.Mountpoint)));
  } catch {
    return undefined;
  }
}

function isPlainLocal(volume: Docker.VolumeInspectInfo): boolean {
  const options = volume.Options as Record<string, string> | null | undefined;
  return (
    volume.Driver === 'local' &&
    typeof volume.Mountpoint === 'string' &&
    isAbsolute(volume.Mountpoint) &&
    Object.keys(options ?? {}).length === 0
  );
}

/** `<root>/volumes` for the local driver's `<root>/volumes/<name>/_data`. */
function volumesFolder(volume: Docker.VolumeInspectInfo): string {
  return dirname(dirname(volume.Mountpoint));
}

async function readFolder(folder: string): Promise<Map<string, VolumeFile>> {
  const entries = await readdir(folder, { withFileTypes: true });
  const files = await Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => {
        const path = join(folder, e.name);
        const [data, stat] = await Promise.all([readFile(path), lstat(path)]);
        const file: VolumeFile = { data, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid };
        return [e.name, file] as const;
      }),
  );
  return new Map(files);
}
