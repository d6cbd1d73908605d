import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { connectEngine } from '../cli/engine/client.js';
import { labels } from '../cli/engine/labels.js';
import { removeCluster } from '../scripts/swarm/remove-cluster.js';
import checkEngine from './global-setup.js';
import { repoRoot } from './support/engine.js';

declare module 'vitest' {
  interface ProvidedContext {
    /** Prefix of every test Swarm's name in this run: `esteps-test-swarm-<id>`. */
    swarmPrefix: string;
  }
}

/**
 * The `swarm` project: the engine must answer (as for e2e), and every test Swarm of this run
 * is removed at the end, even one whose file's afterAll never ran (a hook timeout, a crashed
 * worker). Test files name their clusters with the prefix this provides.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await checkEngine();
  const prefix = `esteps-test-swarm-${randomBytes(3).toString('hex')}`;
  project.provide('swarmPrefix', prefix);
  return async () => {
    const { docker } = await connectEngine(process.env, 10_000);
    const filters = { label: [labels.swarm] };
    const [containers, networks, { Volumes }] = await Promise.all([
      docker.listContainers({ all: true, filters }),
      docker.listNetworks({ filters }),
      docker.listVolumes({ filters }),
    ]);
    const clusters = new Set(
      [...containers, ...networks, ...(Volumes ?? [])]
        .map((r) => r.Labels?.[labels.swarm] ?? '')
        .filter((name) => name.startsWith(`${prefix}-`)),
    );
    for (const cluster of clusters) await removeCluster(docker, repoRoot, cluster);
  };
}
