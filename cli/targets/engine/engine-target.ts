/**
 * One Docker engine as a target: `up` converges containers (cli/engine/converge.ts: observe,
 * plan, apply), a hot patch swaps code inside the running containers, everything is found by
 * the project's label.
 */

import type { ResolvedStack } from '../../../stacks/model/model.js';
import { renderCompose } from '../../../stacks/render/render-compose.js';
import { cacheRoot } from '../../bundle/build-cache.js';
import { bundleCode } from '../../bundle/bundle-code.js';
import { connectEngine, type Engine } from '../../engine/client.js';
import { followLogs, readLogs } from '../../engine/container-logs.js';
import { applyConverge, type ConvergePlan, planConverge } from '../../engine/converge.js';
import { planSteps } from '../../engine/format-plan.js';
import { hotpatchServices } from '../../engine/hotpatch-services.js';
import { listProjectContainers } from '../../engine/observe.js';
import { lockHeld, lockProject } from '../../engine/project-lock.js';
import { removeProject } from '../../engine/remove-project.js';
import { runningReplicas } from '../../engine/running-service.js';
import { loadProjectSecrets, secretsVolumeName } from '../../engine/secrets/project-secrets.js';
import { prepareStackSecrets, type SecretsOnEngine } from '../../engine/secrets/stack-secrets.js';
import { EstepsError } from '../../errors.js';
import { packageVersion } from '../../package-root.js';
import { splitLogTime } from '../log-time.js';
import { serviceImages } from '../service-images.js';
import type {
  AppliedUp,
  EngineReport,
  LogsRequest,
  PlannedUp,
  PlanRequest,
  ProjectFacts,
  Removed,
  ReplicaLogLine,
  ServiceAddress,
  Target,
} from '../target.js';
import { connectOptions, engineReport, type TargetOptions } from '../target-options.js';
import { composeEject } from './compose-eject.js';
import { containerAddresses, toReplica } from './engine-replicas.js';

/** What `apply` needs from `plan`, kept inside the target. */
interface EnginePlanState {
  readonly stack: ResolvedStack;
  readonly converge: ConvergePlan;
  readonly secrets?: (dryRun: boolean) => Promise<Readonly<Record<string, string>>>;
  /** Plans again from what the engine has now (see `stoppedBySomeoneElse`). */
  readonly replan: () => Promise<ConvergePlan>;
}

/**
 * The service whose container the plan left as it was (running, up to date) and that exited
 * while `up` waited for it: stopped by someone else, e.g. a `down` that was killed after its
 * stop requests reached the engine (the engine carries them out without their client). `up`
 * then plans once more and starts it; a container that keeps exiting fails the second time.
 */
function stoppedBySomeoneElse(err: unknown, plan: ConvergePlan): string | undefined {
  if (!(err instanceof EstepsError) || err.code !== 'CONTAINER_EXITED') return undefined;
  const service = (err.details as { service?: unknown } | undefined)?.service;
  if (typeof service !== 'string') return undefined;
  const touched = plan.plan.operations.some(
    (op) =>
      (op.kind === 'create-container' ||
        op.kind === 'recreate-container' ||
        op.kind === 'start-container') &&
      op.service === service,
  );
  return touched ? undefined : service;
}

const planStates = new WeakMap<PlannedUp, EnginePlanState>();

export function engineTarget(options: TargetOptions): Target {
  let connected: Promise<Engine> | undefined;
  const engine = () => {
    connected ??= connectEngine(options.env, connectOptions(options));
    return connected;
  };
  const docker = async () => (await engine()).docker;
  return {
    kind: 'engine',
    engine: async () => engineReport((await engine()).endpoint),
    connect: async () => {
      await engine();
    },
    lock: async (project, command) => lockProject(await docker(), project.name, command),
    lockHeld: async (project) => lockHeld(await docker(), project.name),

    async plan(request: PlanRequest): Promise<PlannedUp> {
      const stack = withScale(request.stack, request.scale);
      const connectedEngine = await engine();
      const secrets = stackSecrets(connectedEngine, stack, request.project, request.progress);
      const replan = () =>
        planConverge({
          engine: connectedEngine,
          stack,
          contexts: request.contexts,
          secrets,
          ...(request.project.stackFile !== undefined && { stackFile: request.project.stackFile }),
          progress: request.progress,
        });
      const converge = await replan();
      const planned: PlannedUp = {
        project: stack.project,
        steps: planSteps(converge.plan),
        changed: converge.plan.changed,
        notes: [],
        images: serviceImages(stack, (image) => converge.observed.images[image]?.standInFor),
      };
      planStates.set(planned, { stack, converge, replan, ...(secrets && { secrets }) });
      return planned;
    },

    async apply(planned, call): Promise<AppliedUp> {
      const state = planStates.get(planned);
      if (!state) throw new Error('engineTarget.apply: a plan this target did not make');
      const applyPlan = async (converge: ConvergePlan) =>
        applyConverge({
          engine: await engine(),
          stack: state.stack,
          planned: converge,
          ...(state.secrets && { secrets: state.secrets }),
          version: packageVersion(),
          progress: call.progress,
          signal: call.signal,
        });
      let outcome: Awaited<ReturnType<typeof applyPlan>>;
      try {
        outcome = await applyPlan(state.converge);
      } catch (err) {
        const service = stoppedBySomeoneElse(err, state.converge);
        if (!service) throw err;
        call.progress.info(
          `${service} was stopped while up waited for it (by another command, or one that was interrupted): planning again`,
        );
        outcome = await applyPlan(await state.replan());
      }
      const { endpoint } = await engine();
      return {
        steps: planSteps(outcome.plan),
        changed: outcome.plan.changed,
        ...containerAddresses(state.stack, outcome.containers, endpoint),
        details: {},
      };
    },

    async list(stack) {
      const now = Date.now();
      const { docker: d, endpoint } = await engine();
      // The services' containers: esteps' short-lived ones (a build's steps, which carry the
      // image's labels, and volume helpers) have no replica number.
      return (await listProjectContainers(d, stack.project))
        .filter((c) => c.replica >= 1)
        .map((c) => toReplica(stack, c, now, endpoint));
    },

    async remove(project, call): Promise<Removed> {
      const removed = await removeProject(await docker(), project, {
        volumes: call.volumes,
        progress: call.progress,
      });
      return {
        ...removed,
        services: [],
        secrets: [],
        kept: call.volumes ? [] : ['volumes kept (--volumes removes them)'],
      };
    },

    async logs(request) {
      const d = await docker();
      const containers = await serviceContainers(d, request);
      const all = await Promise.all(
        containers.map(async (c) =>
          (await readLogs(d, c.id, { ...tailOf(request), timestamps: true })).map(
            (line): ReplicaLogLine => ({
              service: c.service,
              replica: c.name,
              ...splitLogTime(line),
            }),
          ),
        ),
      );
      return all.flat().sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    },

    async followLogs(request, onLine) {
      const d = await docker();
      const containers = await serviceContainers(d, request);
      await Promise.all(
        containers.map((c) =>
          followLogs(d, c.id, { tail: request.tail, signal: request.signal }, (line) =>
            onLine({ service: c.service, replica: c.name, time: '', ...line }),
          ),
        ),
      );
    },

    async addresses(stack, service, containerPort) {
      const { docker: d, endpoint } = await engine();
      const containers = await listProjectContainers(d, stack.project);
      const probe = service.httpProbe;
      const replicas = runningReplicas(stack, service, containers, containerPort, endpoint);
      const note = replicas.find((r) => r.note)?.note;
      if (note && !replicas.some((r) => r.baseUrl)) throw notReachable(service.name, note);
      return replicas.flatMap((r) => {
        if (!r.baseUrl || r.containerPort === undefined) return [];
        const path = probe?.containerPort === r.containerPort ? probe.path : '';
        const address: ServiceAddress = {
          service: service.name,
          replica: r.container.name,
          containerPort: r.containerPort,
          baseUrl: r.baseUrl,
          url: `${r.baseUrl}${path}`,
        };
        return [address];
      });
    },

    async hotpatch(request) {
      const { stack, rebase } = request;
      const { docker: d, endpoint } = await engine();
      const outcome = await hotpatchServices({
        docker: d,
        endpoint,
        stack,
        services: request.services,
        bundle: (service) => {
          const bundle = service.build!.bundles[service.hotpatch!.bundle]!;
          return bundleCode({ ...bundle, entry: rebase(bundle.entry) }, rebase(stack.root), {
            changed: true,
            cacheDir: cacheRoot(options.env),
            ...(request.bundler && { bundler: request.bundler }),
          });
        },
        progress: request.progress,
        signal: request.signal,
        ...(request.locked && { locked: request.locked }),
        ...(request.ahead && { ahead: request.ahead }),
      });
      return { services: outcome.services, phases: outcome.phases, steps: [] };
    },

    async secretValues(stack, project) {
      const loaded = await loadProjectSecrets(await docker(), stack.project, stack.secrets, {
        imports: project.legacySecrets,
        lengthBytes: stack.secretLengths,
      });
      return loaded.values;
    },

    eject: async (stack) => composeEject(stack, renderCompose(stack)),

    async [Symbol.asyncDispose]() {},
  };
}

/**
 * `up`'s secrets step on one engine: the project's secrets, checked against its data volumes
 * (SECRET_MISMATCH), generated or imported from a legacy `.esteps/<project>/secrets.env`
 * when missing, and written as each service's files; only their revisions come back. The
 * read-only pass's values serve the real pass: both run under the project's lock.
 */
function stackSecrets(
  engine: Engine,
  stack: ResolvedStack,
  project: ProjectFacts,
  progress: PlanRequest['progress'],
): ((dryRun: boolean) => Promise<Readonly<Record<string, string>>>) | undefined {
  if (stack.secrets.length === 0) return undefined;
  let stored: SecretsOnEngine | undefined;
  return async (dryRun) => {
    if (!dryRun) progress.start('secrets');
    const result = await prepareStackSecrets({
      docker: engine.docker,
      stack,
      legacy: project.legacySecrets,
      dryRun,
      ...(stored && { stored }),
    });
    stored = result.stored;
    if (!dryRun) {
      progress.stop();
      if (result.created.length > 0) {
        progress.info(
          `Secrets ${result.created.join(', ')} of project ${stack.project} stored on the engine (volume ${secretsVolumeName(stack.project)}).`,
        );
      }
    }
    return result.revisions;
  };
}

/** A service that answers only on a remote engine's host: nothing here can reach it. */
function notReachable(service: string, note: string): EstepsError {
  return new EstepsError('NOT_REACHABLE', `${service} answers ${note}.`, {
    hint: `Publish its port on all the engine host's addresses (hostIp: '0.0.0.0') in the stack, or run this command on the engine's host.`,
  });
}

/** The stack with `--scale`'s replicas: one engine runs them as more containers. */
function withScale(stack: ResolvedStack, scale: Readonly<Record<string, number>>): ResolvedStack {
  if (Object.keys(scale).length === 0) return stack;
  return {
    ...stack,
    services: stack.services.map((s) => ({ ...s, replicas: scale[s.name] ?? s.replicas })),
  };
}

async function serviceContainers(docker: Engine['docker'], request: LogsRequest) {
  return (await listProjectContainers(docker, request.stack.project)).filter(
    (c) => c.replica >= 1 && (!request.service || c.service === request.service),
  );
}

function tailOf(request: LogsRequest): { tail?: number } {
  return request.tail === undefined ? {} : { tail: request.tail };
}

export type { EngineReport };
