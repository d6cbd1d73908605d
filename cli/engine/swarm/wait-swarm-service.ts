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
  /**
   * After an update: the service's `UpdateStatus.StartedAt` before it ('' when it had none).
   * The manager starts the rolling update a moment after accepting the new spec (which clears
   * the status); a status whose start is not newer than this is not about this update.
   * @default a new service
   */
  readonly updateStartedBefore?: string;
  /** @default 240000 */
  readonly timeoutMs?: number;
  /**
   * Between two looks (an inspect and two task lists on the manager, at once). A task turns healthy at
   * a health-check interval (1 s for a probe); a look every second found each service up to
   * a second late. @default 250
   */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  readonly onStatus?: (text: string) => void;
}

/** What one look at a service says (pure: the loop above asks the engine). */
export interface SwarmServiceLook {
  readonly verdict: 'converged' | 'rolled-back' | 'waiting';
  /** The update's state when the service shows one about this update. */
  readonly update: string | undefined;
  /** Tasks running on the current spec (healthy, for a task with a health check). */
  readonly running: number;
  readonly wanted: number;
}

/**
 * Converged: every task meant to run is one the manager calls up to date (made from the
 * service's current spec, by its own rules: the task list's `_up-to-date` filter, which
 * `docker service update` also reads), as many of them run as the service wants, none too
 * many, and no update of this one is in progress. The manager clears `UpdateStatus` when it
 * accepts a new spec and sets it again only when its updater starts, a moment later: until
 * then the old tasks still run, the status says nothing, and only the tasks tell. After an
 * update (`updateStartedBefore` given), a status counts only when it names a start newer
 * than the one before it: a rollback shown before that is the previous update's.
 */
export function swarmServiceLook(
  info: ServiceInfo,
  tasks: readonly TaskInfo[],
  upToDate: ReadonlySet<string>,
  updateStartedBefore?: string,
): SwarmServiceLook {
  const startedAt = info.UpdateStatus?.StartedAt ?? '';
  const fresh =
    updateStartedBefore === undefined || (startedAt !== '' && startedAt !== updateStartedBefore);
  const update = fresh ? info.UpdateStatus?.State : undefined;
  const wanted = info.Spec.Mode?.Replicated?.Replicas ?? 1;
  const meant = tasks.filter((t) => t.DesiredState === 'running');
  const current = meant.every((t) => upToDate.has(t.ID));
  const running = meant.filter((t) => t.Status.State === 'running' && upToDate.has(t.ID)).length;
  const look = (verdict: SwarmServiceLook['verdict']) => ({ verdict, update, running, wanted });
  if (update === 'rollback_completed' || update === 'rollback_paused') return look('rolled-back');
  const updating = update === 'updating' || update === 'rollback_started' || update === 'paused';
  if (current && !updating && running >= wanted && meant.length <= wanted) {
    return look('converged');
  }
  return look('waiting');
}

export interface ServiceInfo {
  Spec: { Mode?: { Replicated?: { Replicas?: number } } };
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string };
}

export interface TaskInfo {
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
    const [info, tasks, upToDate] = await Promise.all([
      docker.getService(id).inspect() as Promise<ServiceInfo>,
      docker.listTasks({ filters: { service: [id] } }) as Promise<TaskInfo[]>,
      docker.listTasks({ filters: { service: [id], '_up-to-date': ['true'] } }) as Promise<
        TaskInfo[]
      >,
    ]);
    const current = new Set(upToDate.map((t) => t.ID));
    const look = swarmServiceLook(info, tasks, current, input.updateStartedBefore);
    const { update, running, wanted } = look;
    if (look.verdict === 'rolled-back') throw rolledBack(service, info, tasks);
    if (look.verdict === 'converged') return;
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
    last = `${service}: ${running}/${wanted} running${update ? `, update ${update}` : ''}`;
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
    await new Promise((r) => setTimeout(r, input.pollMs ?? 250));
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
