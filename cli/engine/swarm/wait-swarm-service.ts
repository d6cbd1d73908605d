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
   * The manager starts the rolling update a moment after accepting the new spec, and until
   * then the service still shows the previous update's outcome and the old tasks: a status
   * that is not newer than this is not about this update. @default a new service
   */
  readonly updateStartedBefore?: string;
  /** @default 240000 */
  readonly timeoutMs?: number;
  /**
   * Between two looks (an inspect and a task list on the manager). A task turns healthy at
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
  readonly running: number;
  readonly wanted: number;
}

/**
 * Converged: every wanted task runs (healthy, for a task with a health check), none too
 * many, and no update in progress. After an update (`updateStartedBefore` given), what the
 * service shows counts only when it is about this update: an update status newer than the
 * one before it, or every task on the current spec (a change that needs no rolling update);
 * until then the manager may still show the old tasks and the previous update's outcome.
 */
export function swarmServiceLook(
  info: ServiceInfo,
  tasks: readonly TaskInfo[],
  updateStartedBefore?: string,
): SwarmServiceLook {
  const fresh =
    updateStartedBefore === undefined ||
    (info.UpdateStatus?.StartedAt ?? '') !== updateStartedBefore;
  const current = fresh || tasksRunCurrentSpec(info, tasks);
  const update = fresh ? info.UpdateStatus?.State : undefined;
  const wanted = info.Spec.Mode?.Replicated?.Replicas ?? 1;
  const meant = tasks.filter((t) => t.DesiredState === 'running');
  const running = meant.filter((t) => t.Status.State === 'running').length;
  const look = (verdict: SwarmServiceLook['verdict']) => ({ verdict, update, running, wanted });
  if (update === 'rollback_completed' || update === 'rollback_paused') return look('rolled-back');
  const updating = update === 'updating' || update === 'rollback_started' || update === 'paused';
  if (current && !updating && running >= wanted && meant.length <= wanted) {
    return look('converged');
  }
  return look('waiting');
}

export interface ServiceInfo {
  Spec: { Mode?: { Replicated?: { Replicas?: number } }; TaskTemplate?: TaskSpec };
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string };
}

export interface TaskSpec {
  ContainerSpec?: unknown;
  ForceUpdate?: number;
}

export interface TaskInfo {
  ID: string;
  DesiredState: string;
  CreatedAt: string;
  Spec?: TaskSpec;
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
    const look = swarmServiceLook(info, tasks, input.updateStartedBefore);
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

/** True when every task meant to run was made from the service's current task template. */
function tasksRunCurrentSpec(info: ServiceInfo, tasks: readonly TaskInfo[]): boolean {
  const template = info.Spec.TaskTemplate;
  const same = (spec: TaskSpec | undefined) =>
    canonical(spec?.ContainerSpec) === canonical(template?.ContainerSpec) &&
    (spec?.ForceUpdate ?? 0) === (template?.ForceUpdate ?? 0);
  return tasks.filter((t) => t.DesiredState === 'running').every((t) => same(t.Spec));
}

/** JSON with object keys sorted, so two equal values give one text. */
function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : v,
  );
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
