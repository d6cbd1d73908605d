/**
 * Plain Swarm services a test makes on the manager beside a project's (labelled with the
 * project, so `down --swarm` would remove them too): one that only sleeps, to roll quickly,
 * and one whose replicas no node may take, to keep the manager's orchestrator busy.
 */
import type Docker from 'dockerode';
import { labels } from '../../cli/engine/labels.js';

interface ServiceState {
  Version: { Index: number };
  Spec: Record<string, unknown> & {
    Mode: { Replicated: { Replicas: number } };
    TaskTemplate: { ForceUpdate?: number; ContainerSpec: { Image: string } };
  };
  UpdateStatus?: { State?: string; StartedAt?: string };
}

export async function inspectService(docker: Docker, id: string): Promise<ServiceState> {
  return (await docker.getService(id).inspect()) as ServiceState;
}

/**
 * `replicas` tasks of `image` that sleep, killed at once when stopped, rolled all at once
 * (stop-first, no monitoring period): an update takes a few seconds. `nowhere` places them
 * on no node (they stay pending: tasks in the manager's store, no container anywhere).
 */
export async function createSleepService(
  docker: Docker,
  input: { name: string; project: string; image: string; replicas: number; nowhere?: boolean },
): Promise<string> {
  const created = (await docker.createService({
    Name: input.name,
    Labels: { [labels.project]: input.project },
    TaskTemplate: {
      ContainerSpec: { Image: input.image, Command: ['sleep', 'infinity'], StopSignal: 'SIGKILL' },
      Placement: { Constraints: input.nowhere ? ['node.labels.esteps-nowhere==1'] : [] },
    },
    Mode: { Replicated: { Replicas: input.replicas } },
    UpdateConfig: { Parallelism: 0, Order: 'stop-first', Monitor: 0, FailureAction: 'pause' },
  } as never)) as { id?: string; ID?: string };
  return created.id ?? created.ID ?? '';
}

/** Updates a service's spec (`change` edits a copy) at its current version. */
export async function updateService(
  docker: Docker,
  id: string,
  change: (spec: ServiceState['Spec']) => void,
): Promise<void> {
  const state = await inspectService(docker, id);
  const spec = structuredClone(state.Spec);
  change(spec);
  await docker.getService(id).update({ version: state.Version.Index, ...spec } as never);
}

/** The tasks of `id` the manager lists as up to date with its current spec. */
export async function upToDateTasks(
  docker: Docker,
  id: string,
): Promise<{ ID: string; DesiredState: string; Status: { State: string } }[]> {
  return (await docker.listTasks({
    filters: { service: [id], '_up-to-date': ['true'] },
  })) as { ID: string; DesiredState: string; Status: { State: string } }[];
}
