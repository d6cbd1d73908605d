import { EstepsError } from '../errors.js';
import type { ReplicaLogLine } from '../targets/target.js';
import type { OperationContext } from './context.js';
import { openProject, type ProjectInput } from './project-input.js';

export interface LogsInput extends ProjectInput {
  /** Only this service's replicas. @default every service */
  readonly service?: string;
  /** Lines from the end of each replica's log. @default all */
  readonly tail?: number;
  /**
   * Keep streaming new lines until the signal aborts (`logs -f`): called once with the
   * replicas' names, it returns where each line goes. The outcome then holds no lines.
   * @default read the logs up to now
   */
  readonly follow?: (replicas: readonly string[]) => (line: ReplicaLogLine) => void;
}

export interface LogsOutcome {
  readonly project: string;
  /** Every replica's lines, merged in time order (empty when following). */
  readonly lines: readonly ReplicaLogLine[];
  /** The replicas the lines came from. */
  readonly replicas: readonly string[];
}

/**
 * `esteps logs [SERVICE]`: the replicas' logs, demultiplexed and merged in time order. A
 * service the stack does not have is USAGE; a project with nothing running, NOT_RUNNING.
 */
export async function logs(ctx: OperationContext, input: LogsInput): Promise<LogsOutcome> {
  await using opened = await openProject(ctx, input);
  const { project, target } = opened;
  const stack = project.resolved;
  const services = stack.services.map((s) => s.name);
  const { service } = input;
  if (service !== undefined && !services.includes(service)) {
    throw new EstepsError(
      'USAGE',
      `Stack "${stack.name}" has no service "${service}"; its services: ${services.join(', ')}.`,
      { hint: `For example: esteps logs ${services[0]} -p ${project.name}` },
    );
  }
  const replicas = (await target.list(stack)).filter((r) => !service || r.service === service);
  if (replicas.length === 0) {
    throw new EstepsError(
      'NOT_RUNNING',
      service
        ? `Project ${project.name} has no replica of service ${service}.`
        : `Project ${project.name} has nothing running.`,
      { hint: 'Start it with esteps up (esteps ps lists what exists).' },
    );
  }
  const request = {
    stack,
    ...(service !== undefined && { service }),
    ...(input.tail !== undefined && { tail: input.tail }),
    progress: ctx.progress,
    signal: ctx.signal,
  };
  if (input.follow) {
    await target.followLogs(request, input.follow(replicas.map((r) => r.name)));
    return { project: project.name, lines: [], replicas: replicas.map((r) => r.name) };
  }
  const lines = await target.logs(request);
  return { project: project.name, lines, replicas: replicas.map((r) => r.name) };
}
