import { type EngineSocket, labelFilter } from './engine-socket.js';

/** The label keys the reaper reads (esteps' own table, cli/engine/labels.ts, passes them in). */
export interface ReaperLabels {
  /** On every resource of a project: the project's name. */
  readonly project: string;
  /** On a project's marker volume: the run (test process) that brought the project up. */
  readonly testRun: string;
  /** On an image esteps built: the name it built it under (which holds the project's name). */
  readonly image: string;
  /** On a project's lock container (`esteps-lock.<project>`): the project's name. */
  readonly lock: string;
}

/** What one project's removal took away. */
export interface RemovedProject {
  readonly project: string;
  readonly containers: number;
  readonly networks: number;
  readonly volumes: number;
  readonly images: number;
}

interface Labelled {
  readonly Labels?: Record<string, string> | null;
}

/** A project name as esteps accepts one: nothing else reaches a label filter. */
const projectName = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * The projects a run brought up: those whose marker volume names the run. Only markers count,
 * so the reaper removes nothing that a run did not mark as its own.
 */
export async function runProjects(
  engine: EngineSocket,
  labels: ReaperLabels,
  run: string,
): Promise<string[]> {
  const { Volumes } = await engine.get<{ Volumes: Labelled[] | null }>(
    `/volumes?${labelFilter(labels.testRun, run)}`,
  );
  const names = (Volumes ?? []).map((v) => v.Labels?.[labels.project] ?? '');
  return [...new Set(names.filter((n) => projectName.test(n)))].sort();
}

/** Every run that has a marker on the engine (for the start-up sweep). */
export async function markedRuns(engine: EngineSocket, labels: ReaperLabels): Promise<string[]> {
  const { Volumes } = await engine.get<{ Volumes: Labelled[] | null }>(
    `/volumes?${labelFilter(labels.testRun)}`,
  );
  return [...new Set((Volumes ?? []).map((v) => v.Labels?.[labels.testRun] ?? ''))].filter(
    (r) => r !== '',
  );
}

/**
 * Removes everything that carries the project's label: containers at once (forced: a test
 * stack needs no graceful stop) with their anonymous volumes, then networks, volumes (the
 * marker among them) and the images built for it (removeOwnImages).
 */
export async function removeProject(
  engine: EngineSocket,
  labels: ReaperLabels,
  project: string,
): Promise<RemovedProject> {
  const filter = labelFilter(labels.project, project);
  const containers = await engine.get<{ Id: string; Mounts?: { Type: string; Name?: string }[] }[]>(
    `/containers/json?all=1&${filter}`,
  );
  // Anonymous volumes a recreated container was given by name (64 hex digits): removing a
  // container with `v` spares those.
  const anonymous = containers.flatMap((c) =>
    (c.Mounts ?? []).flatMap((m) =>
      m.Type === 'volume' && m.Name && /^[0-9a-f]{64}$/.test(m.Name) ? [m.Name] : [],
    ),
  );
  // The project's lock too, which a process killed in the middle of `up` leaves (it carries
  // the lock label, not the project's: `down` must not remove another command's lock).
  const locks = await engine.get<{ Id: string }[]>(
    `/containers/json?all=1&${labelFilter(labels.lock, project)}`,
  );
  await Promise.all(
    [...containers, ...locks].map((c) => engine.remove(`/containers/${c.Id}?force=1&v=1`)),
  );
  const networks = await engine.get<{ Id: string }[]>(`/networks?${filter}`);
  await Promise.all(networks.map((n) => engine.remove(`/networks/${n.Id}`)));
  const { Volumes } = await engine.get<{ Volumes: { Name: string }[] | null }>(
    `/volumes?${filter}`,
  );
  const volumes = [...new Set([...(Volumes ?? []).map((v) => v.Name), ...anonymous])];
  await Promise.all(volumes.map((v) => engine.remove(`/volumes/${encodeURIComponent(v)}`)));
  const images = await removeOwnImages(engine, labels, project);
  return {
    project,
    containers: containers.length,
    networks: networks.length,
    volumes: Volumes?.length ?? 0,
    images,
  };
}

/**
 * The project's images, leaves first, each without its parents (`noprune`): those that carry
 * the project's label, and the LABEL step before them that names the image (its value holds
 * the project's name). esteps' labels are LABEL steps at the end of a build, one a label, so
 * these are the project's own, and their parents are the engine's build cache, which the next
 * test's build reuses (a plain removal would take the cache too when no other image shares it).
 */
async function removeOwnImages(
  engine: EngineSocket,
  labels: ReaperLabels,
  project: string,
): Promise<number> {
  let removed = 0;
  const names = new Set<string>();
  type Image = { Id: string; Labels?: Record<string, string> | null };
  for (let round = 0; round < 20; round++) {
    const own = await engine.get<Image[]>(
      `/images/json?all=1&${labelFilter(labels.project, project)}`,
    );
    for (const image of own) {
      const name = image.Labels?.[labels.image];
      if (name) names.add(name);
    }
    const named = await Promise.all(
      [...names].map((name) =>
        engine.get<Image[]>(`/images/json?all=1&${labelFilter(labels.image, name)}`),
      ),
    );
    const ids = [...new Set([...own, ...named.flat()].map((i) => i.Id))];
    // 409: a child is still there (it goes this round), or another project's container runs it.
    const statuses = await Promise.all(
      ids.map((id) => engine.remove(`/images/${id}?force=1&noprune=1`)),
    );
    const gone = statuses.filter((s) => s < 300).length;
    removed += gone;
    if (gone === 0) break;
  }
  return removed;
}
