import type Docker from 'dockerode';
import { isGoneOrUnchanged } from './engine-errors.js';
import { toObservedContainer } from './inspect-state.js';
import { labels, projectFilter } from './labels.js';
import type { ObservedContainer, ObservedImage, ObservedState } from './observed-state.js';

/**
 * The one engine read `up` plans from: everything carrying the project label, plus the
 * images the stack names (run images, build tags, base images of builds).
 */
export async function observeProject(
  docker: Docker,
  project: string,
  imageRefs: readonly string[],
): Promise<ObservedState> {
  const filters = projectFilter(project);
  const [containers, networks, volumes, images] = await Promise.all([
    listProjectContainers(docker, project),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
    Promise.all([...new Set(imageRefs)].map(async (ref) => [ref, await inspectImage(docker, ref)])),
  ]);
  return {
    project,
    containers,
    networks: networks.map((n) => n.Name).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
    images: Object.fromEntries(images),
  };
}

/** The project's containers, inspected, sorted by service then replica. */
export async function listProjectContainers(
  docker: Docker,
  project: string,
): Promise<ObservedContainer[]> {
  const list = await docker.listContainers({ all: true, filters: projectFilter(project) });
  const inspected = await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .inspect()
        .catch((err) => {
          // Removed between list and inspect: it no longer exists for us either.
          if (isGoneOrUnchanged(err)) return undefined;
          throw err;
        }),
    ),
  );
  return inspected
    .filter((i) => i !== undefined)
    .map(toObservedContainer)
    .sort((a, b) => a.service.localeCompare(b.service) || a.replica - b.replica);
}

export async function inspectImage(
  docker: Docker,
  ref: string,
): Promise<ObservedImage | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    const imageLabels = info.Config?.Labels ?? {};
    const standInFor = imageLabels[labels.standIn];
    return {
      id: info.Id,
      buildHash: imageLabels[labels.configHash],
      ...(standInFor && { standInFor }),
    };
  } catch (err) {
    if (isGoneOrUnchanged(err)) return undefined;
    throw err;
  }
}
