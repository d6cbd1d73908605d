import type Docker from 'dockerode';
import type { Progress } from '../ui/progress.js';
import { isAnonymousVolumeName } from './anonymous-volumes.js';
import { engineMessage, isGoneOrUnchanged, statusCode } from './engine-errors.js';
import { labels, projectFilter } from './labels.js';

export interface DownResult {
  readonly containers: readonly string[];
  readonly networks: readonly string[];
  readonly volumes: readonly string[];
  /** The images `up` built for the project (with --volumes only): tags, or IDs of untagged ones. */
  readonly images: readonly string[];
}

/**
 * Removes exactly what carries the project's label: containers (stopped first, so services
 * drain) with their anonymous volumes, then networks, then, only when asked, the named volumes
 * and the images `up` built for the project (they carry its label; base images and stand-ins
 * do not). Nothing else on the engine is touched; it works from labels alone, so it still
 * works after the stack changed. An anonymous volume (an image's VOLUME the stack mounts
 * nothing on, e.g. the user service's /app/releases) lives as long as its container: the next
 * `up` makes new containers, which would never find it again, so keeping it would only leak.
 */
export async function removeProject(
  docker: Docker,
  project: string,
  options: { volumes?: boolean; progress: Progress },
): Promise<DownResult> {
  const filters = projectFilter(project);
  const containers = await docker.listContainers({ all: true, filters });
  const containerNames = containers.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')).sort();
  // Also the anonymous volumes a recreated container was given by name (its predecessor's,
  // see anonymous-volumes.ts): removing a container with `v` spares those.
  const anonymous = [
    ...new Set(
      containers.flatMap((c) =>
        (c.Mounts ?? []).flatMap((m) =>
          m.Type === 'volume' && isAnonymousVolumeName(m.Name) ? [m.Name] : [],
        ),
      ),
    ),
  ];
  if (containers.length > 0) {
    options.progress.start(`removing ${containerNames.join(', ')}`);
    await Promise.all(
      containers.map(async (c) => {
        const container = docker.getContainer(c.Id);
        await container.stop({ t: 10 }).catch(ignoreGone);
        // `v`: with the anonymous volumes an image's VOLUME gave the container.
        await container.remove({ force: true, v: true }).catch(ignoreGone);
      }),
    );
    options.progress.succeed(`removed ${containerNames.join(', ')}`);
  }
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(ignoreGone)));
  let volumeNames: string[] = [];
  if (options.volumes) {
    const { Volumes } = await docker.listVolumes({ filters });
    volumeNames = (Volumes ?? []).map((v) => v.Name).sort();
    await Promise.all(volumeNames.map((v) => docker.getVolume(v).remove().catch(ignoreGone)));
  }
  const gone = await removeAnonymousVolumes(docker, anonymous);
  volumeNames = [...volumeNames, ...gone.filter((v) => !volumeNames.includes(v))].sort();
  const images = options.volumes ? await removeProjectImages(docker, project) : [];
  return {
    containers: containerNames,
    networks: networks.map((n) => n.Name).sort(),
    volumes: volumeNames,
    images,
  };
}

function ignoreGone(err: unknown): void {
  if (!isGoneOrUnchanged(err)) throw err;
}

/**
 * Removes the images built for the project; one still used elsewhere is left and not listed.
 * An image that also has a name esteps did not give it (`docker tag`) keeps it, and its
 * layers: only esteps' own name goes. One at a time: the old builds of a rebuilt image share
 * parent layers, and two removals walking up to the same parent race in the engine (the
 * loser gets 500 "unrecognized image ID": the parent is gone, which is what was asked).
 */
async function removeProjectImages(docker: Docker, project: string): Promise<string[]> {
  const images = await docker.listImages({ all: false, filters: projectFilter(project) });
  const removed: string[] = [];
  for (const image of images) removed.push(...(await removeProjectImage(docker, image)));
  return removed.sort();
}

async function removeProjectImage(docker: Docker, image: Docker.ImageInfo): Promise<string[]> {
  const tags = (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
  // A stack's image always names its tag (validate-stack.ts): as the engine lists it.
  const own = image.Labels?.[labels.image];
  try {
    if (own !== undefined && tags.some((t) => t !== own)) {
      if (!tags.includes(own)) return [];
      await docker.getImage(own).remove();
      return [own];
    }
    // By ID with force: every tag of it goes (all are esteps'; images built before the
    // image label: all carry the project's label).
    await docker.getImage(image.Id).remove({ force: true });
    return tags.length > 0 ? tags : [image.Id.replace(/^sha256:/, '').slice(0, 12)];
  } catch (err) {
    // 409: a container of another project runs it; 404 or "unrecognized": already gone.
    const status = statusCode(err);
    if (status === 409 || status === 404 || /unrecognized image ID/i.test(engineMessage(err))) {
      return [];
    }
    throw err;
  }
}

/** Removes each anonymous volume by name; one still in use elsewhere (409) stays, unlisted. */
async function removeAnonymousVolumes(docker: Docker, names: readonly string[]): Promise<string[]> {
  const gone = await Promise.all(
    names.map((v) =>
      docker
        .getVolume(v)
        .remove()
        .then(
          () => [v],
          (err) => (statusCode(err) === 409 || statusCode(err) === 404 ? [] : Promise.reject(err)),
        ),
    ),
  );
  return gone.flat();
}
