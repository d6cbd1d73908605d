/**
 * One Docker engine as a target: `up` converges containers (cli/engine/converge.ts: observe,
 * plan, apply), a hot patch swaps code inside the running containers, everything is found by
 * the project's label.
 */

import type { ResolvedStack } from '../../../stacks/model/model.js';
import { renderCompose } from '../../../stacks/render/render-compose.js';
import { bundleCode } from '../../bundle/bundle-code.js';
import { connectEngine, type Engine } from '../../engine/client.js';
import { followLogs, readLogs } from '../../engine/container-logs.js';
import { applyConverge, type ConvergePlan, planConverge } from '../../engine/converge.js';
import { planSteps } from '../../engine/format-plan.js';
import { hotpatchServices } from '../../engine/hotpatch-services.js';
import { listProjectContainers } from '../../engine/observe.js';
import { lockProject } from '../../engine/project-lock.js';
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

    async plan(request: PlanRequest): Promise<PlannedUp> {
      const stack = withScale(request.stack, request.scale);
      const connectedEngine = await engine();
      const secrets = stackSecrets(connectedEngine, stack, request.project, request.progress);
      const converge = await planConverge({
        engine: connectedEngine,
        stack,
        contexts: request.contexts,
        secrets,
        ...(request.project.stackFile !== undefined && { stackFile: request.project.stackFile }),
        progress: request.progress,
      });
      const planned: PlannedUp = {
        project: stack.project,
        steps: planSteps(converge.plan),
        changed: converge.plan.changed,
        notes: [],
        images: serviceImages(stack, (image) => converge.observed.images[image]?.standInFor),
      };
      planStates.set(planned, { stack, converge, ...(secrets && { secrets }) });
      return planned;
    },

    async apply(planned, call): Promise<AppliedUp> {
      const state = planStates.get(planned);
      if (!state) throw new Error('engineTarget.apply: a plan this target did not make');
      const outcome = await applyConverge({
        engine: await engine(),
        stack: state.stack,
        planned: state.converge,
        ...(state.secrets && { secrets: state.secrets }),
        version: packageVersion(),
        progress: call.progress,
        signal: call.signal,
      });
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
            ...(request.bundler && { bundler: request.bundler }),
          });
        },
        progress: request.progress,
        signal: request.signal,
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
