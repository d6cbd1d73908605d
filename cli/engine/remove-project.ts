import type Docker from 'dockerode';
import type { Progress } from '../ui/progress.js';
import { isGoneOrUnchanged } from './engine-errors.js';
import { projectFilter } from './labels.js';

export interface DownResult {
  readonly containers: readonly string[];
  readonly networks: readonly string[];
  readonly volumes: readonly string[];
}

/**
 * Removes exactly what carries the project's label: containers (stopped first, so services
 * drain), then networks, then, only when asked, volumes. Nothing else on the engine is
 * touched; it works from labels alone, so it still works after the stack changed.
 */
export async function removeProject(
  docker: Docker,
  project: string,
  options: { volumes?: boolean; progress: Progress },
): Promise<DownResult> {
  const filters = projectFilter(project);
  const containers = await docker.listContainers({ all: true, filters });
  const containerNames = containers.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')).sort();
  if (containers.length > 0) {
    options.progress.start(`removing ${containerNames.join(', ')}`);
    await Promise.all(
      containers.map(async (c) => {
        const container = docker.getContainer(c.Id);
        await container.stop({ t: 10 }).catch(ignoreGone);
        // With --volumes, also the anonymous volumes an image's VOLUME gave the container.
        await container.remove({ force: true, v: options.volumes ?? false }).catch(ignoreGone);
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
  return {
    containers: containerNames,
    networks: networks.map((n) => n.Name).sort(),
    volumes: volumeNames,
  };
}

function ignoreGone(err: unknown): void {
  if (!isGoneOrUnchanged(err)) throw err;
}
