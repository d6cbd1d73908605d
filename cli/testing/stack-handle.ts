import type Docker from 'dockerode';
import type { ResolvedStack } from '../../stacks/model/model.js';
import { EstepsError } from '../errors.js';
import type { OperationContext } from '../operations/context.js';
import { type DownOutcome, down } from '../operations/down.js';
import { hotpatch } from '../operations/hotpatch.js';
import { logs } from '../operations/logs.js';
import type { ProjectInput } from '../operations/project-input.js';
import { ps } from '../operations/ps.js';
import { smoke } from '../operations/smoke.js';
import type { UpOutcome } from '../operations/up.js';
import type { ServiceAddress } from '../targets/target.js';
import { fastTeardown } from './fast-teardown.js';
import { addLiveStack, removeLiveStack } from './live-stacks.js';
import type { DownOptions, TestStack } from './types.js';

export interface HandleInput {
  /** The context every operation of the handle runs in (the same as `up`'s). */
  readonly ctx: OperationContext;
  /** The stack and the project, as `up` was given them. */
  readonly input: ProjectInput;
  readonly stack: ResolvedStack;
  readonly outcome: UpOutcome;
  readonly reuse: boolean;
  /** The engine, for the teardown's fast part. */
  readonly docker: () => Promise<Docker>;
}

/** The handle `up()` returns: the operations of one project, bound to it. */
export function stackHandle(h: HandleInput): TestStack {
  const { ctx, input, stack, outcome } = h;
  const project = outcome.project;
  let gone = false;
  const live = { project, teardown: async () => void (await handle.down()) };
  const handle: TestStack = {
    project,
    stack: outcome.stack,
    host: hostOf(outcome.addresses),
    reused: h.reuse,
    outcome,
    url: (service, containerPort) => serviceUrls(stack, outcome, service, containerPort)[0]!,
    urls: (service, containerPort) => serviceUrls(stack, outcome, service, containerPort),
    port: (service, containerPort) =>
      Number(new URL(serviceUrls(stack, outcome, service, containerPort)[0]!).port),
    ps: async () => (await ps(ctx, input)).replicas,
    logs: async (service, options = {}) =>
      (
        await logs(ctx, {
          ...input,
          ...(service !== undefined && { service }),
          ...(options.tail !== undefined && { tail: options.tail }),
        })
      ).lines,
    smoke: () => smoke(ctx, input),
    hotpatch: (service) =>
      hotpatch(ctx, { ...input, ...(service !== undefined && { services: [service] }) }),
    async down(options: DownOptions = {}) {
      const removed = await downTestProject(h, options.volumes ?? true);
      gone = true;
      removeLiveStack(live);
      return removed;
    },
    async [Symbol.asyncDispose]() {
      if (gone || h.reuse) return;
      await handle.down();
    },
  };
  if (!h.reuse) addLiveStack(live);
  return handle;
}

/**
 * `down` of a test project; with `volumes`, its containers and images first go the fast way
 * (fast-teardown.ts), and the outcome lists them as `down` would have.
 */
export async function downTestProject(
  h: Pick<HandleInput, 'ctx' | 'input' | 'docker'>,
  volumes: boolean,
): Promise<DownOutcome> {
  const first = volumes ? await fastTeardown(await h.docker(), h.input.project!) : undefined;
  const outcome = await down(h.ctx, { ...h.input, volumes });
  if (!first) return outcome;
  const merge = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])].sort();
  return {
    ...outcome,
    removed: {
      ...outcome.removed,
      containers: merge(first.containers, outcome.removed.containers),
      images: merge(first.images, outcome.removed.images),
    },
  };
}

/** Where the published ports answer: the addresses' host (127.0.0.1 on a local engine). */
function hostOf(addresses: readonly ServiceAddress[]): string {
  const first = addresses[0];
  return first ? new URL(first.baseUrl).hostname.replace(/^\[(.*)\]$/, '$1') : '127.0.0.1';
}

/** Every replica's base URL for the service's port, from the addresses `up` read. */
function serviceUrls(
  stack: ResolvedStack,
  outcome: UpOutcome,
  name: string,
  containerPort: number | undefined,
): string[] {
  const service = stack.services.find((s) => s.name === name);
  if (!service) {
    throw new EstepsError(
      'USAGE',
      `Stack "${stack.name}" has no service "${name}"; its services: ${stack.services.map((s) => s.name).join(', ')}.`,
      { hint: 'Name one of those services.' },
    );
  }
  const addresses = outcome.addresses.filter((a) => a.service === name);
  const published = [...new Set(addresses.map((a) => a.containerPort))].sort((a, b) => a - b);
  let port = containerPort;
  if (port === undefined) {
    const probe = service.httpProbe?.containerPort;
    if (published.length === 1) port = published[0];
    else if (probe !== undefined && published.includes(probe)) port = probe;
  }
  const urls = addresses.filter((a) => a.containerPort === port).map((a) => a.baseUrl);
  if (urls.length > 0) return urls;
  const shown =
    published.length > 0 ? `it publishes ${published.join(', ')}` : 'it publishes no port';
  throw new EstepsError(
    'USAGE',
    containerPort === undefined
      ? `Service ${name} of project ${outcome.project} has no one port to name: ${shown}.`
      : `Service ${name} of project ${outcome.project} does not publish container port ${containerPort}: ${shown}.`,
    {
      hint:
        published.length > 0
          ? `Name its container port: url('${name}', ${published[0]}).`
          : `Publish a port of ${name} in the stack (ports: [{ hostPort: 0, containerPort }]).`,
    },
  );
}
