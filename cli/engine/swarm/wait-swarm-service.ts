/**
 * Waits until a Swarm service has converged: its update (if any) completed and as many tasks
 * running as it wants (a task with a health check is `running` only once healthy). A
 * rollback is ROLLED_BACK, after the rollback finished (the old tasks serve again), naming
 * the task error that caused it; no convergence in time is HEALTH_TIMEOUT.
 */
import type Docker from 'dockerode';
import { EstepsError } from '../../errors.js';

export interface WaitSwarmServiceInput {
  readonly docker: Docker;
  readonly id: string;
  /** The stack service, for messages. */
  readonly service: string;
  /** @default 240000 */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onStatus?: (text: string) => void;
}

interface ServiceInfo {
  Spec: { Mode?: { Replicated?: { Replicas?: number } } };
  UpdateStatus?: { State?: string; Message?: string };
}

interface TaskInfo {
  ID: string;
  DesiredState: string;
  CreatedAt: string;
  Status: { State: string; Err?: string; Message?: string };
}

export async function waitForSwarmService(input: WaitSwarmServiceInput): Promise<void> {
  const { docker, id, service } = input;
  const deadline = Date.now() + (input.timeoutMs ?? 240_000);
  let last = '';
  for (;;) {
    if (input.signal?.aborted) throw new EstepsError('INTERRUPTED', 'Interrupted.');
    const info = (await docker.getService(id).inspect()) as ServiceInfo;
    const tasks = (await docker.listTasks({ filters: { service: [id] } })) as TaskInfo[];
    const update = info.UpdateStatus?.State;
    const wanted = info.Spec.Mode?.Replicated?.Replicas ?? 1;
    const running = tasks.filter(
      (t) => t.DesiredState === 'running' && t.Status.State === 'running',
    );
    if (update === 'rollback_completed' || update === 'rollback_paused') {
      throw rolledBack(service, info, tasks);
    }
    const updating = update === 'updating' || update === 'rollback_started';
    if (!updating && update !== 'paused' && running.length >= wanted) {
      const surplus = tasks.filter((t) => t.DesiredState === 'running').length > wanted;
      if (!surplus) return;
    }
    if (update === 'paused') {
      throw new EstepsError(
        'ROLLED_BACK',
        `The update of ${service} paused: ${info.UpdateStatus?.Message ?? ''}.`,
        {
          hint: `Look at its tasks: esteps ps --swarm; fix the service, then run esteps up --swarm again.`,
          details: { service, taskError: taskError(tasks) },
        },
      );
    }
    last = `${service}: ${running.length}/${wanted} running${update ? `, update ${update}` : ''}`;
    input.onStatus?.(last);
    if (Date.now() > deadline) {
      const err = taskError(tasks);
      throw new EstepsError(
        'HEALTH_TIMEOUT',
        `${service} did not converge on the Swarm in time (${last})${err ? `: ${err}` : ''}.`,
        {
          hint: `Look at its tasks and logs: esteps ps --swarm, esteps logs --swarm ${service}.`,
          details: { service, taskError: err },
        },
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function rolledBack(service: string, info: ServiceInfo, tasks: readonly TaskInfo[]): EstepsError {
  const err = taskError(tasks);
  return new EstepsError(
    'ROLLED_BACK',
    `The update of ${service} was rolled back: its new tasks failed${err ? ` (${err})` : ''}; the previous version serves.`,
    {
      hint: `Fix the service (esteps logs --swarm ${service} shows the failed tasks' output), then run esteps up --swarm again.`,
      details: { service, taskError: err, swarmMessage: info.UpdateStatus?.Message },
    },
  );
}

/** The newest failed task's error, e.g. "task: non-zero exit (1)". */
function taskError(tasks: readonly TaskInfo[]): string | undefined {
  // A task that ran and failed says more than one the scheduler could not place.
  const rank = (t: TaskInfo) => (t.Status.State === 'failed' ? 0 : 1);
  const failed = tasks
    .filter((t) => t.Status.Err || ['failed', 'rejected'].includes(t.Status.State))
    .sort((a, b) => rank(a) - rank(b) || b.CreatedAt.localeCompare(a.CreatedAt));
  const t = failed[0];
  return t ? (t.Status.Err ?? t.Status.Message ?? t.Status.State) : undefined;
}
