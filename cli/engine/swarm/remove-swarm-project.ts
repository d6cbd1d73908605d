/**
 * `down --swarm`: everything of the project on the Swarm, by label: services (their tasks
 * stop on every node), then networks and secrets once no task holds them; with `volumes`,
 * the project's volumes on the manager's engine (a Swarm has no cluster-wide volumes: each
 * node's engine keeps its own, and only the manager's is reached through DOCKER_HOST).
 */
import type Docker from 'dockerode';
import { projectFilter } from '../labels.js';

export interface RemovedSwarmProject {
  readonly services: string[];
  readonly networks: string[];
  readonly secrets: string[];
  readonly volumes: string[];
}

export async function removeSwarmProject(
  docker: Docker,
  project: string,
  options: { volumes: boolean; timeoutMs?: number },
): Promise<RemovedSwarmProject> {
  const filters = projectFilter(project);
  const services = (await docker.listServices({ filters })) as {
    ID: string;
    Spec: { Name: string };
  }[];
  await Promise.all(services.map((s) => docker.getService(s.ID).remove()));
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  // Tasks go away asynchronously; networks and secrets in use refuse removal until then.
  const retry = async (remove: () => Promise<unknown>) => {
    for (;;) {
      try {
        return await remove();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return;
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const networks = (await docker.listNetworks({ filters })) as { Id: string; Name: string }[];
  for (const n of networks) await retry(() => docker.getNetwork(n.Id).remove());
  const secrets = (await docker.listSecrets({ filters })) as {
    ID: string;
    Spec: { Name: string };
  }[];
  for (const s of secrets) await retry(() => docker.getSecret(s.ID).remove());
  const volumes: string[] = [];
  if (options.volumes) {
    const listed =
      ((await docker.listVolumes({ filters })) as { Volumes?: { Name: string }[] }).Volumes ?? [];
    for (const v of listed) {
      await retry(() => docker.getVolume(v.Name).remove());
      volumes.push(v.Name);
    }
  }
  return {
    services: services.map((s) => s.Spec.Name),
    networks: networks.map((n) => n.Name),
    secrets: secrets.map((s) => s.Spec.Name),
    volumes,
  };
}
