import type Docker from 'dockerode';
import type { ResolvedService, ResolvedStack } from '../../stacks/model/model.js';
import { EstepsError } from '../errors.js';
import type { Progress } from '../ui/progress.js';
import {
  type AnonymousVolume,
  anonymousVolumes,
  withAnonymousVolumes,
} from './anonymous-volumes.js';
import { buildImage } from './build.js';
import type { BuildContext } from './build-context.js';
import { containerCreateOptions } from './container-spec.js';
import type { AddressEndpoint } from './endpoint/published-address.js';
import { engineMessage, isGoneOrUnchanged, startFailed, statusCode } from './engine-errors.js';
import { describeOperation } from './format-plan.js';
import { labels } from './labels.js';
import { containerName, networkName } from './names.js';
import type { Operation, Plan } from './plan.js';
import { pullImage } from './pull.js';
import { throwIfAborted } from './retry.js';
import { buildFailedHint, missingImageHint, portInUseHint } from './stack-hints.js';
import { strategyFor, waitForContainer } from './wait.js';

export interface ApplyInput {
  readonly docker: Docker;
  readonly stack: ResolvedStack;
  readonly plan: Plan;
  /** Assembled build contexts by service name, for `build-image` operations. */
  readonly contexts: Readonly<Record<string, BuildContext>>;
  /** esteps' version, for the version label. */
  readonly version: string;
  /** The stack file, for the label that records it on what `up` creates. @default none */
  readonly stackFile?: string;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
  /** Operations already under way (`startEarly`): awaited where the plan lists them, not run again. */
  readonly early?: ReadonlyMap<string, EarlyOperation>;
  /** Where the engine is: a remote engine's published ports answer on its host. @default this machine */
  readonly endpoint?: AddressEndpoint;
}

/** An operation started before its plan is applied. */
export interface EarlyOperation {
  readonly done: Promise<void>;
  /** Shows its progress from now on, the latest first. */
  follow(update: (text: string) => void): void;
}

/**
 * Starts the operations of `plan` that read no secret and wait for nothing (the image builds
 * whose base images are there, the networks) before the plan is applied: `up` runs them while
 * it writes the secrets, which the final plan's revisions come from. Only for a plan that
 * passed its checks. Keyed by `operationKey`.
 */
export function startEarly(input: ApplyInput): Map<string, EarlyOperation> {
  const early = new Map<string, EarlyOperation>();
  input.plan.operations.forEach((op, i) => {
    if (op.kind !== 'build-image' && op.kind !== 'create-network') return;
    if ((input.plan.after[i] ?? []).length > 0) return;
    let last: string | undefined;
    let shown: ((text: string) => void) | undefined;
    const done = applyOperation(input, op, (text) => {
      last = text;
      shown?.(text);
    });
    done.catch(() => undefined); // reported where the plan awaits it
    early.set(operationKey(op), {
      done,
      follow(update) {
        shown = update;
        if (last !== undefined) update(last);
      },
    });
  });
  return early;
}

/** Equal for the same operation in two plans of one `up`. */
function operationKey(op: Operation): string {
  return JSON.stringify(op);
}

/**
 * The executor: performs the plan's operations and decides nothing. An operation starts
 * once those the plan lists before it (`plan.after`) are done, so independent ones run at
 * once (the image builds while Postgres starts). The first failure or an interrupt stops
 * new operations; those already running finish (or stop at their next safe point), then the
 * error is thrown. Every operation leaves the engine in a state the next `up` plans from (a
 * removed-but-not-recreated container is just "no existing container").
 */
export async function applyPlan(input: ApplyInput): Promise<void> {
  const { operations, after } = input.plan;
  const done = operations.map((op) => op.kind === 'unchanged');
  const started = [...done];
  const running = new Set<Promise<void>>();
  const shown = progressTracker(input.progress);
  let failure: unknown;
  for (;;) {
    if (failure === undefined && input.signal?.aborted) failure = interrupted(input.signal);
    if (failure === undefined) {
      operations.forEach((op, i) => {
        if (started[i] || !(after[i] ?? []).every((j) => done[j])) return;
        started[i] = true;
        const { action, target } = describeOperation(op);
        const label = `${action} ${target}`;
        shown.begin(label);
        const early = input.early?.get(operationKey(op));
        early?.follow((text) => input.progress.update(text));
        const task: Promise<void> = (early?.done ?? applyOperation(input, op)).then(
          () => {
            done[i] = true;
            shown.end(label, true);
          },
          (err) => {
            shown.end(label, false);
            failure ??= input.signal?.aborted
              ? interrupted(input.signal)
              : wrapApplyError(label, err);
          },
        );
        running.add(task);
        void task.finally(() => running.delete(task));
      });
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }
  // Nothing started early is left running, whether or not this plan listed it.
  await Promise.allSettled([...(input.early?.values() ?? [])].map((e) => e.done));
  if (failure !== undefined) throw failure;
  if (!done.every(Boolean)) throw new Error('plan has operations whose dependencies never ran');
}

function interrupted(signal: AbortSignal): unknown {
  try {
    throwIfAborted(signal);
  } catch (err) {
    return err;
  }
  return undefined;
}

/** One spinner for several running operations; a line for each that ends. */
function progressTracker(progress: Progress) {
  const active: string[] = [];
  return {
    begin(label: string) {
      active.push(label);
      progress.start(label);
    },
    end(label: string, ok: boolean) {
      active.splice(active.indexOf(label), 1);
      if (ok) progress.succeed(label);
      else progress.fail(label);
      if (active.length > 0) progress.start(active.join(' · '));
    },
  };
}

async function applyOperation(
  input: ApplyInput,
  op: Operation,
  update: (text: string) => void = (text) => input.progress.update(text),
): Promise<void> {
  const { docker, stack } = input;
  const projectLabels = {
    [labels.project]: stack.project,
    [labels.stack]: stack.name,
    ...(input.stackFile !== undefined && { [labels.stackFile]: input.stackFile }),
  };
  switch (op.kind) {
    case 'create-network':
      await docker.createNetwork({
        Name: op.name,
        Driver: stack.networks[op.network]?.driver ?? 'bridge',
        CheckDuplicate: true,
        Labels: { ...projectLabels, [labels.network]: op.network },
      });
      return;
    case 'create-volume':
      await docker.createVolume({ Name: op.name, Labels: { ...projectLabels, ...op.labels } });
      return;
    case 'pull-image':
      await pullImage(docker, op.image, {
        signal: input.signal,
        hint: missingImageHint(stack, op.image),
      });
      return;
    case 'build-image':
      await build(input, op.service, op.buildHash, update);
      return;
    case 'recreate-container': {
      // As compose does: the new container gets the old one's anonymous volumes (an image's
      // VOLUME that no volume of the stack covers), so a recreate keeps what they hold.
      const kept = await anonymousVolumes(docker, op.containerId);
      await removeContainer(docker, op.containerId);
      await createAndStart(input, service(stack, op.service), op.replica, op.configHash, kept);
      return;
    }
    case 'create-container':
      await createAndStart(input, service(stack, op.service), op.replica, op.configHash);
      return;
    case 'start-container':
      await startContainer(docker, op.name, (port) =>
        portInUseHint(stack, service(stack, op.service), port),
      );
      return;
    case 'remove-container':
      await removeContainer(docker, op.containerId);
      return;
    case 'wait':
      await waitForService(input, service(stack, op.service), op);
      return;
    case 'unchanged':
      return;
  }
}

function service(stack: ResolvedStack, name: string): ResolvedService {
  const found = stack.services.find((s) => s.name === name);
  if (!found) throw new Error(`plan names service ${name}, which the stack lacks`);
  return found;
}

async function build(
  input: ApplyInput,
  serviceName: string,
  hash: string,
  update: (text: string) => void,
): Promise<void> {
  const s = service(input.stack, serviceName);
  const context = input.contexts[serviceName];
  if (!s.build || !context) throw new Error(`no build context for ${serviceName}`);
  await buildImage(input.docker, {
    tag: s.image,
    context: context.tar,
    dockerfile: s.build.dockerfile,
    buildArgs: s.build.args,
    labels: {
      [labels.configHash]: hash,
      [labels.project]: input.stack.project,
      [labels.service]: serviceName,
      [labels.version]: input.version,
    },
    ...(input.signal && { signal: input.signal }),
    onStep: (step) => update(`build image ${s.image}: ${step}`),
    hint: buildFailedHint(s),
  });
}

async function createAndStart(
  input: ApplyInput,
  s: ResolvedService,
  replica: number,
  configHash: string,
  kept: readonly AnonymousVolume[] = [],
): Promise<void> {
  const { docker, stack } = input;
  const options = withAnonymousVolumes(
    containerCreateOptions({
      project: stack.project,
      stack: stack.name,
      ...(input.stackFile !== undefined && { stackFile: input.stackFile }),
      service: s,
      replica,
      configHash,
      version: input.version,
    }),
    kept,
  );
  const container = await docker.createContainer(options).catch((err) => {
    if (statusCode(err) !== 409) throw err;
    throw new EstepsError(
      'START_FAILED',
      `A container named ${options.name} already exists without project ${stack.project}'s label.`,
      {
        hint: 'Remove that container, or bring the stack up under another project name (-p).',
        cause: err,
      },
    );
  });
  for (const network of s.networks.slice(1)) {
    await docker.getNetwork(networkName(stack.project, network)).connect({
      Container: container.id,
      EndpointConfig: { Aliases: [s.name] },
    });
  }
  await startContainer(docker, options.name ?? container.id, (port) =>
    portInUseHint(stack, s, port),
  );
}

async function startContainer(
  docker: Docker,
  name: string,
  portHint?: (hostPort: number | undefined) => string,
): Promise<void> {
  try {
    await docker.getContainer(name).start();
  } catch (err) {
    if (statusCode(err) === 304) return;
    throw startFailed(name, err, portHint);
  }
}

async function removeContainer(docker: Docker, id: string): Promise<void> {
  const container = docker.getContainer(id);
  // Stop first (SIGTERM, 10 s grace) so the service drains; then remove.
  await container.stop({ t: 10 }).catch((err) => {
    if (!isGoneOrUnchanged(err)) throw err;
  });
  await container.remove({ force: true }).catch((err) => {
    if (!isGoneOrUnchanged(err)) throw err;
  });
}

async function waitForService(
  input: ApplyInput,
  s: ResolvedService,
  op: Extract<Operation, { kind: 'wait' }>,
): Promise<void> {
  for (let replica = 1; replica <= s.replicas; replica++) {
    const name = containerName(input.stack.project, s.name, replica);
    const strategy = strategyFor(s, op.condition, input.docker.getContainer(name), input.endpoint);
    await waitForContainer(input.docker, s.name, name, strategy, {
      ...(input.signal && { signal: input.signal }),
    });
  }
}

/** Engine errors not already ours become one EstepsError naming the operation. */
function wrapApplyError(label: string, err: unknown): unknown {
  if (err instanceof EstepsError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EPIPE') {
    return new EstepsError(
      'ENGINE_UNAVAILABLE',
      `The Docker engine stopped answering while trying to ${label} (${engineMessage(err)}).`,
      {
        hint: 'Check that the engine runs (docker info), then run esteps up again: it continues from here.',
        cause: err,
      },
    );
  }
  return new EstepsError('START_FAILED', `Could not ${label}: ${engineMessage(err)}.`, {
    hint: 'Check the engine (docker info), then run esteps up again: it continues from here.',
    cause: err,
  });
}
