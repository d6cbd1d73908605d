import { labels } from '../../cli/engine/labels.js';
import { testEngine } from './engine.js';

/**
 * Everything on the engine that carries the project's label: containers, networks, volumes
 * (its test-run marker among them), and images, intermediate ones included (a build's LABEL
 * steps carry it), plus (unless `labelledOnly`) the LABEL step before them that names a
 * built image of the project, which carries no project label.
 */
export async function engineLeftovers(
  project: string,
  options: { labelledOnly?: boolean } = {},
): Promise<string[]> {
  const { docker } = await testEngine();
  const filters = { label: [`${labels.project}=${project}`] };
  const [containers, locks, networks, volumes, images, all] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    // The project's lock (labelled with the lock label, not the project's).
    docker.listContainers({ all: true, filters: { label: [`${labels.lock}=${project}`] } }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
    docker.listImages({ all: true, filters }),
    docker.listImages({ all: true }),
  ]);
  const named = all.filter((i) => {
    if (options.labelledOnly) return false;
    const name = i.Labels?.[labels.image] ?? '';
    return name.startsWith(`${project}-`) || name.includes(`/${project}-`);
  });
  return [
    ...[...containers, ...locks].map((c) => `container ${c.Names[0] ?? c.Id}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...(volumes.Volumes ?? []).map((v) => `volume ${v.Name}`),
    ...[...new Set([...images, ...named].map((i) => i.Id))].map((id) => `image ${id}`),
  ];
}

/** The volumes that name `run` as the test run that made them (esteps/testing's markers). */
export async function runMarkers(run: string): Promise<string[]> {
  const { docker } = await testEngine();
  const { Volumes } = await docker.listVolumes({
    filters: { label: [`${labels.testRun}=${run}`] },
  });
  return (Volumes ?? []).map((v) => v.Name);
}

/** Polls `probe` until it returns true or `timeoutMs` passes; resolves with the time taken. */
export async function within(timeoutMs: number, probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await probe()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not within ${timeoutMs} ms`);
}
