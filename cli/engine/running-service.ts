import type Docker from 'dockerode';
import type { ResolvedService, ResolvedStack } from '../../stacks/model.js';
import { EstepsError } from '../errors.js';
import { hostUrl } from './inspect-state.js';
import { listProjectContainers } from './observe.js';
import type { ObservedContainer } from './observed-state.js';

/** One running container of a service, with the address its HTTP probe port answers on. */
export interface RunningReplica {
  readonly container: ObservedContainer;
  /** e.g. `http://127.0.0.1:5000`; undefined when the probe port is not published. */
  readonly baseUrl: string | undefined;
}

export interface RunningService {
  readonly service: ResolvedService;
  readonly replicas: readonly RunningReplica[];
}

/**
 * The stack's hot-patchable service (`hotpatch: true`, the user service in step 1) and its
 * running containers, found by the project label. Throws NOT_RUNNING when none runs, so
 * `smoke` and `hotpatch` refuse a stack that is not up with the same message.
 */
export async function findRunningService(
  docker: Docker,
  stack: ResolvedStack,
): Promise<RunningService> {
  const service = stack.services.find((s) => s.hotpatch);
  if (!service) {
    throw new EstepsError('USAGE', `Stack "${stack.name}" has no hot-patchable service.`, {
      hint: 'Mark the service that runs our code with `hotpatch: true` in its stack definition.',
    });
  }
  const containers = await listProjectContainers(docker, stack.project);
  const running = containers.filter((c) => c.service === service.name && c.state === 'running');
  if (running.length === 0) {
    throw new EstepsError(
      'NOT_RUNNING',
      `Project "${stack.project}" is not up: no running ${service.name} container.`,
      { hint: `Bring it up with \`esteps up -p ${stack.project}\`, then retry.` },
    );
  }
  const probePort = service.httpProbe?.containerPort;
  return {
    service,
    replicas: running.map((container) => {
      const port = container.ports.find((p) => p.containerPort === probePort);
      return { container, baseUrl: port ? hostUrl(port) : undefined };
    }),
  };
}
