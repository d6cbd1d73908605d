import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { EstepsError } from '../../errors.js';
import { engineMessage, isGoneOrUnchanged, statusCode } from '../engine-errors.js';
import { labels } from '../labels.js';
import { createTar, type TarEntry } from '../tar.js';

/**
 * Files in a volume, written and read through the engine's archive API on a helper container
 * that is created, never started: nothing runs, so no shell or tool is needed in its image,
 * and the files keep the owner and mode of their tar entries. The helper's image is made on
 * first need by importing an archive of one empty folder (`docker import`): no base image, no
 * registry, no build. Any engine esteps talks to (a remote DOCKER_HOST too) gets it this way.
 */
export const volumeHelperImage = 'esteps/volume-helper:1';

/** Where the helper mounts the volume it works on. */
const mountPoint = '/volume';

/** Makes the helper image unless the engine has it. Idempotent; two processes may race safely. */
export async function ensureVolumeHelperImage(docker: Docker): Promise<void> {
  try {
    await docker.getImage(volumeHelperImage).inspect();
    return;
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
  }
  // One empty marker file: the image needs a layer; nothing at the mount point.
  const folder = createTar([{ path: '.esteps-volume-helper', data: Buffer.alloc(0), mode: 0o444 }]);
  const [repo, tag] = volumeHelperImage.split(':');
  try {
    const stream = await docker.importImage(bufferStream(folder), {
      repo,
      tag,
      changes: ['CMD ["/none"]', `LABEL ${labels.version}=volume-helper`],
    } as Parameters<Docker['importImage']>[1]);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
    });
  } catch (err) {
    throw new EstepsError(
      'INTERNAL',
      `Could not make the helper image ${volumeHelperImage}: ${engineMessage(err)}.`,
      { hint: 'Check that the engine accepts `docker import`, then retry.', cause: err },
    );
  }
}

/**
 * Runs `work` with a created (never started) helper container that mounts `volume` at
 * /volume (several volumes: the i-th at /volume/i, see `volumeMountPoint`), and removes the container afterwards whatever happened. The container carries the
 * project's label, so one left behind by a killed command is removed by the next `up`/`down`.
 */
export async function withVolumeHelper<T>(
  docker: Docker,
  project: string,
  volume: string | readonly string[],
  work: (container: Docker.Container) => Promise<T>,
): Promise<T> {
  const volumes = typeof volume === 'string' ? [volume] : volume;
  await ensureVolumeHelperImage(docker);
  const container = await docker.createContainer({
    Image: volumeHelperImage,
    Cmd: ['/none'],
    Labels: { [labels.project]: project, [labels.probe]: 'volume-helper' },
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      // NoCopy: the image's content at the mount point never lands in the volume.
      Mounts: volumes.map((source, i) => ({
        Type: 'volume' as const,
        Source: source,
        Target: typeof volume === 'string' ? mountPoint : volumeMountPoint(i),
        VolumeOptions: { NoCopy: true } as Docker.MountSettings['VolumeOptions'],
      })),
    },
  });
  try {
    return await work(container);
  } finally {
    await container.remove({ force: true, v: false }).catch((err) => {
      if (!isGoneOrUnchanged(err)) throw err;
    });
  }
}

/** Where a helper of several volumes mounts the i-th. */
export function volumeMountPoint(i: number): string {
  return `${mountPoint}/${i}`;
}

/** Writes files (paths relative to the volume's root) with their owner and mode. */
export async function putVolumeFiles(
  container: Docker.Container,
  files: readonly TarEntry[],
  at: string = mountPoint,
): Promise<void> {
  await container.putArchive(createTar(files), { path: at });
}

/** Every regular file at the volume's root, by name. Empty when there is none. */
export async function getVolumeFiles(container: Docker.Container): Promise<Map<string, Buffer>> {
  const entries = await getVolumeEntries(container);
  return new Map(
    [...entries].filter(([path]) => !path.includes('/')).map(([name, e]) => [name, e.data]),
  );
}

/** A file read back from a volume, with the owner and mode the engine's archive gives. */
export interface VolumeFile {
  readonly data: Buffer;
  /** Permission bits. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Every regular file under the helper's mount point, by path below it (`name`, or `i/name`
 * for the i-th of several volumes): one archive, so the engine mounts the volumes once.
 */
export async function getVolumeEntries(
  container: Docker.Container,
): Promise<Map<string, VolumeFile>> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await container.getArchive({ path: mountPoint })) as NodeJS.ReadableStream;
  } catch (err) {
    if (statusCode(err) === 404) return new Map();
    throw err;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return readTarEntries(Buffer.concat(chunks));
}

/** The files at the root of the i-th of several mounted volumes (`i/name` in `entries`), by name. */
export function mountFiles(
  entries: ReadonlyMap<string, VolumeFile>,
  i: number,
): Map<string, VolumeFile> {
  return new Map(
    [...entries].flatMap(([path, file]) => {
      const [index, name, ...rest] = path.split('/');
      return index === String(i) && name !== undefined && rest.length === 0
        ? [[name, file] as const]
        : [];
    }),
  );
}

/**
 * Regular files of a tar archive directly under its top folder, by base name (the engine
 * answers `/volume` with entries `volume/name`). Enough for the engine's archives: ustar, with
 * GNU/PAX long-name records skipped (secret names are short).
 */
export function readTarFiles(archive: Buffer): Map<string, Buffer> {
  return new Map(
    [...readTarEntries(archive)]
      .filter(([path]) => !path.includes('/'))
      .map(([name, entry]) => [name, entry.data]),
  );
}

/** Every regular file below the top folder, by its path there, with permission bits and owner. */
export function readTarEntries(archive: Buffer): Map<string, VolumeFile> {
  const files = new Map<string, VolumeFile>();
  let offset = 0;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const text = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const prefix = text(345, 155);
    const name = prefix ? `${prefix}/${text(0, 100)}` : text(0, 100);
    const size = Number.parseInt(text(124, 12).trim() || '0', 8);
    const octal = (start: number) => Number.parseInt(text(start, 8).trim() || '0', 8);
    const type = text(156, 1) || '0';
    const data = archive.subarray(offset + 512, offset + 512 + size);
    const parts = name.split('/').filter((p) => p !== '' && p !== '.');
    if ((type === '0' || type === '\0') && parts.length >= 2)
      files.set(parts.slice(1).join('/'), {
        data: Buffer.from(data),
        mode: octal(100) & 0o7777,
        uid: octal(108),
        gid: octal(116),
      });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function bufferStream(data: Buffer): NodeJS.ReadableStream {
  return Readable.from([data]);
}
