import type Docker from 'dockerode';
import { isAnonymousVolumeName } from '../engine/anonymous-volumes.js';
import { isGoneOrUnchanged, statusCode } from '../engine/engine-errors.js';
import { labels, projectFilter } from '../engine/labels.js';

/** What the teardown removed before `down` ran. */
export interface TornDown {
  readonly containers: readonly string[];
  readonly images: readonly string[];
}

/**
 * The part of a test project's removal that `down --volumes` does more slowly or more widely
 * than a test wants; `down` then removes the rest (networks, volumes) and finds these gone:
 *
 * - containers are removed at once (killed): `down` stops each with a 10 s grace for its
 *   data's sake, and a test project's data goes with it anyway (2 to 6 s a stack here);
 * - the images built for the project go, and only they: `down` removes an image with its
 *   untagged parents, which are the engine's build cache when no other image shares them,
 *   and every test project has an image name of its own, so the next test would build every
 *   step again. The build puts esteps' labels in LABEL steps at the end, one a label: the
 *   images from the one naming the image (`com.esteps.image`) on are the project's own.
 */
export async function fastTeardown(docker: Docker, project: string): Promise<TornDown> {
  const filters = projectFilter(project);
  const containers = await docker.listContainers({ all: true, filters });
  const anonymous = containers.flatMap((c) =>
    (c.Mounts ?? []).flatMap((m) =>
      m.Type === 'volume' && m.Name && isAnonymousVolumeName(m.Name) ? [m.Name] : [],
    ),
  );
  await Promise.all(
    containers.map((c) =>
      docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreGone),
    ),
  );
  await Promise.all(
    // 409: another container still uses it (a volume carried over on a recreate).
    [...new Set(anonymous)].map((v) =>
      docker
        .getVolume(v)
        .remove()
        .catch((err: unknown) => (statusCode(err) === 409 ? undefined : ignoreGone(err))),
    ),
  );
  return {
    containers: containers.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')).sort(),
    images: await removeOwnImages(docker, filters),
  };
}

/**
 * The project's images, leaves first (a parent goes once its child has), never a parent beyond:
 * those that carry the project's label, and the LABEL step before them that names the image
 * (`com.esteps.image`, whose value holds the project's name).
 */
async function removeOwnImages(docker: Docker, filters: { label: string[] }): Promise<string[]> {
  const removed: string[] = [];
  const names = new Set<string>();
  for (let round = 0; round < 20; round++) {
    const own = await docker.listImages({ all: true, filters });
    for (const image of own) {
      const name = image.Labels?.[labels.image];
      if (name) names.add(name);
    }
    const named = await Promise.all(
      [...names].map((name) =>
        docker.listImages({ all: true, filters: { label: [`${labels.image}=${name}`] } }),
      ),
    );
    const images = [...new Map([...own, ...named.flat()].map((i) => [i.Id, i])).values()];
    if (images.length === 0) break;
    const results = await Promise.all(
      images.map(async (image) => {
        try {
          await docker.getImage(image.Id).remove({ force: true, noprune: true });
          removed.push(...(image.RepoTags ?? []).filter((t) => t !== '<none>:<none>'));
          return true;
        } catch (err) {
          // 409: it still has a child (removed this round), or a container of another
          // project runs it; 404: gone meanwhile.
          if (statusCode(err) === 409 || statusCode(err) === 404) return false;
          throw err;
        }
      }),
    );
    if (!results.includes(true)) break;
  }
  return removed.sort();
}

function ignoreGone(err: unknown): void {
  if (!isGoneOrUnchanged(err)) throw err;
}
