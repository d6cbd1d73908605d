import type Docker from 'dockerode';
import { isGoneOrUnchanged } from './engine-errors.js';
import { toObservedContainer } from './inspect-state.js';
import { labels, projectFilter } from './labels.js';
import type {
  ObservedContainer,
  ObservedImage,
  ObservedState,
  UnownedResource,
} from './observed-state.js';

/**
 * The one engine read `up` plans from: everything carrying the project label, plus the
 * images the stack names (run images, build tags, base images of builds).
 */
export async function observeProject(
  docker: Docker,
  project: string,
  imageRefs: readonly string[],
  names: ProjectNames = { networks: [], volumes: [], containers: [] },
): Promise<ObservedState> {
  const filters = projectFilter(project);
  const [containers, networks, volumes, images] = await Promise.all([
    listProjectContainers(docker, project),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
    Promise.all([...new Set(imageRefs)].map(async (ref) => [ref, await inspectImage(docker, ref)])),
  ]);
  const owned = {
    network: networks.map((n) => n.Name).sort(),
    volume: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
    container: containers.map((c) => c.name),
  };
  const unowned = await findUnowned(docker, project, names, owned);
  return {
    project,
    containers,
    networks: owned.network,
    volumes: owned.volume,
    images: Object.fromEntries(images),
    ...(unowned.length > 0 && { unowned }),
  };
}

/** The engine names the stack gives the project's resources. */
export interface ProjectNames {
  readonly networks: readonly string[];
  readonly volumes: readonly string[];
  readonly containers: readonly string[];
}

/** Resources with the project's names but without its label (see UnownedResource). */
async function findUnowned(
  docker: Docker,
  project: string,
  names: ProjectNames,
  owned: Readonly<Record<UnownedResource['kind'], readonly string[]>>,
): Promise<UnownedResource[]> {
  const inspect = {
    network: (name: string) => docker.getNetwork(name).inspect(),
    volume: (name: string) => docker.getVolume(name).inspect(),
    container: async (name: string) => (await docker.getContainer(name).inspect()).Config,
  } as const;
  const wanted = [
    ...names.networks.map((name) => ({ kind: 'network' as const, name })),
    ...names.volumes.map((name) => ({ kind: 'volume' as const, name })),
    ...names.containers.map((name) => ({ kind: 'container' as const, name })),
  ].filter((r) => !owned[r.kind].includes(r.name));
  const found = await Promise.all(
    wanted.map(async ({ kind, name }) => {
      try {
        const info = (await inspect[kind](name)) as { Labels?: Record<string, string> | null };
        const owner = info.Labels?.[labels.project];
        return owner === project ? [] : [{ kind, name, owner }];
      } catch (err) {
        if (isGoneOrUnchanged(err)) return [];
        throw err;
      }
    }),
  );
  return found.flat();
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
  return (
    inspected
      .filter((i) => i !== undefined)
      .map(toObservedContainer)
      // Plain comparison: the first `localeCompare` of a process loads ICU's collator (7 ms).
      .sort((a, b) =>
        a.service < b.service ? -1 : a.service > b.service ? 1 : a.replica - b.replica,
      )
  );
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
