import type Docker from 'dockerode';
import { statusCode } from './engine-errors.js';

/**
 * A container's anonymous volume: one the engine made for an image's VOLUME that no mount of
 * the stack covers (the Postgres image's data folder, in a stack that names no volume for it).
 */
export interface AnonymousVolume {
  /** The engine's name for it: 64 hex digits. */
  readonly name: string;
  /** Where the container mounts it. */
  readonly target: string;
}

/** True for the name the engine gives an anonymous volume: 64 hex digits. */
export function isAnonymousVolumeName(name: string | undefined): name is string {
  return name !== undefined && /^[0-9a-f]{64}$/.test(name);
}

/** The anonymous volumes a container mounts; none when it is gone. */
export async function anonymousVolumes(docker: Docker, id: string): Promise<AnonymousVolume[]> {
  try {
    const info = await docker.getContainer(id).inspect();
    return (info.Mounts ?? []).flatMap((m) =>
      m.Type === 'volume' && isAnonymousVolumeName(m.Name)
        ? [{ name: m.Name, target: m.Destination }]
        : [],
    );
  } catch (err) {
    if (statusCode(err) === 404) return [];
    throw err;
  }
}

/**
 * The create options of a recreated container with its predecessor's anonymous volumes
 * mounted where they were, as compose carries them over: a recreate keeps what they hold.
 * A path the new options mount (a volume or a tmpfs) keeps the new mount.
 */
export function withAnonymousVolumes(
  options: Docker.ContainerCreateOptions,
  kept: readonly AnonymousVolume[],
): Docker.ContainerCreateOptions {
  const host = options.HostConfig ?? {};
  const taken = new Set([
    ...(host.Mounts ?? []).map((m) => m.Target),
    ...Object.keys(host.Tmpfs ?? {}),
  ]);
  const carried = kept.filter((v) => !taken.has(v.target));
  if (carried.length === 0) return options;
  return {
    ...options,
    HostConfig: {
      ...host,
      Mounts: [
        ...(host.Mounts ?? []),
        ...carried.map((v) => ({ Type: 'volume' as const, Source: v.name, Target: v.target })),
      ],
    },
  };
}
