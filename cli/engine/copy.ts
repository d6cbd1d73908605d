import type Docker from 'dockerode';
import { EstepsError } from '../errors.js';
import { engineMessage } from './engine-errors.js';
import { createTar, type TarEntry } from './tar.js';

/**
 * Copies files into a container through the engine's archive API (what `docker cp` uses),
 * with the owner and mode each entry names: the image's user keeps owning its files.
 */
export async function copyIntoContainer(
  container: Docker.Container,
  targetDir: string,
  entries: readonly TarEntry[],
): Promise<void> {
  try {
    await container.putArchive(createTar(entries), { path: targetDir });
  } catch (cause) {
    throw new EstepsError(
      'HOTPATCH_FAILED',
      `Copying ${entries.map((e) => e.path).join(', ')} into ${container.id.slice(0, 12)}:${targetDir} failed: ${engineMessage(cause)}.`,
      {
        hint: `Check that ${targetDir} exists in the image and the container is running (esteps ps).`,
        cause,
      },
    );
  }
}
