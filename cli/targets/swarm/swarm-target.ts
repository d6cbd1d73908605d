/**
 * A Swarm as a target: the manager DOCKER_HOST points at, an engine that builds and pushes
 * (this machine's, or ESTEPS_BUILD_HOST), a registry the nodes pull from. `up` deploys Swarm
 * services (rolling updates with rollback); a hot patch is a build, a push and a rolling
 * update of the hot-patchable services. Every call first checks the engine is a manager
 * (SWARM_UNAVAILABLE).
 */
import { randomBytes } from 'node:crypto';
import type { ResolvedStack } from '../../../stacks/model/model.js';
import { stackBuildContexts } from '../../engine/build-context.js';
import { connectEngine, type Engine, engineAddress } from '../../engine/client.js';
import { lockProject } from '../../engine/project-lock.js';
import { loadProjectSecrets, readProjectSecrets } from '../../engine/secrets/project-secrets.js';
import { applySwarmPlan } from '../../engine/swarm/apply-swarm.js';
import { assertSwarmManager, observeSwarm } from '../../engine/swarm/observe-swarm.js';
import { planSwarm, type SwarmPlan, swarmPlanSteps } from '../../engine/swarm/plan-swarm.js';
import { buildAndPushImages } from '../../engine/swarm/push-images.js';
import { removeSwarmProject } from '../../engine/swarm/remove-swarm-project.js';
import { readSwarmServiceLogs } from '../../engine/swarm/swarm-service-logs.js';
import { readSwarmSettings, type SwarmSettings } from '../../engine/swarm/swarm-settings.js';
import { listSwarmTasks, swarmServiceUrls } from '../../engine/swarm/swarm-tasks.js';
import { EstepsError } from '../../errors.js';
import { packageVersion } from '../../package-root.js';
import { serviceImages } from '../service-images.js';
import type {
  AppliedUp,
  PlannedUp,
  PlanRequest,
  Removed,
  Replica,
  ReplicaLogLine,
  ServiceAddress,
  Target,
  TargetCall,
} from '../target.js';
import { connectOptions, engineReport, type TargetOptions } from '../target-options.js';
import { rebasedStack } from './rebased-stack.js';
import { swarmEject } from './swarm-eject.js';

interface SwarmPlanState {
  readonly stack: ResolvedStack;
  readonly plan: SwarmPlan;
  readonly secretIds: Readonly<Record<string, string>>;
  readonly secretValues: Readonly<Record<string, string>>;
  readonly images: Readonly<Record<string, string>>;
  readonly settings: SwarmSettings;
  readonly pushMs: number;
  readonly started: number;
}

const planStates = new WeakMap<PlannedUp, SwarmPlanState>();

export function swarmTarget(options: TargetOptions): Target {
  let settings: Promise<SwarmSettings> | undefined;
  const swarmSettings = () => {
    settings ??= readSwarmSettings(options.env);
    return settings;
  };
  let manager: Promise<Engine> | undefined;
  /** The manager, checked to be one (once per command). */
  const connectManager = () => {
    manager ??= connectEngine(options.env, connectOptions(options)).then(async (engine) => {
      await assertSwarmManager(engine.docker, engineAddress(options.env));
      return engine;
    });
    return manager;
  };
  const docker = async () => (await connectManager()).docker;

  const plan = async (request: PlanRequest): Promise<PlannedUp> => {
    const started = Date.now();
    const { stack } = request;
    const config = await swarmSettings();
    const [m, builder] = await Promise.all([
      connectManager(),
      connectEngine({ DOCKER_HOST: config.buildHost }),
    ]);
    // The values live on the manager's engine (as on one engine: the project's secrets
    // volume); Swarm secrets cannot be read back. Read while the images are built and pushed.
    const secretValues = projectSecretValues(m, stack, request);
    secretValues.catch(() => undefined);
    const pushStarted = Date.now();
    // A dry run builds and pushes nothing: services keep the image they run.
    const pushed = request.dryRun
      ? {}
      : await buildAndPushImages({
          docker: builder.docker,
          stack,
          ...(request.only && { only: request.only }),
          contexts: request.contexts,
          registry: config.registry,
          pushRegistry: config.pushRegistry,
          version: packageVersion(),
          progress: request.progress,
          signal: request.signal,
        });
    const pushMs = Date.now() - pushStarted;
    request.progress.start(`reading project ${stack.project} from the Swarm`);
    const [observed, values] = await Promise.all([
      observeSwarm(m.docker, stack.project),
      secretValues,
    ]);
    request.progress.stop();
    // Services not rebuilt (a dry run; a hot patch of another) keep the image they run.
    const running = Object.fromEntries(
      observed.services.flatMap((o) => {
        const image = currentImage(o.spec);
        return image ? [[o.service, image]] : [];
      }),
    );
    const images = request.only || request.dryRun ? { ...running, ...pushed } : pushed;
    const swarmPlan = planSwarm({
      stack,
      observed,
      images,
      secretValues: values,
      scale: request.scale,
      modes: config.modes,
      version: packageVersion(),
    });
    const modes = `endpoint mode ${config.modes.endpointMode} (${config.modeSources.endpointMode}), publish mode ${config.modes.publishMode} (${config.modeSources.publishMode})`;
    const planned: PlannedUp = {
      project: stack.project,
      steps: swarmPlanSteps(swarmPlan),
      changed: swarmPlan.changed,
      notes: [modes],
      images: serviceImages(stack, () => undefined),
    };
    planStates.set(planned, {
      stack,
      plan: swarmPlan,
      secretIds: observed.secrets,
      secretValues: values,
      images,
      settings: config,
      pushMs,
      started,
    });
    return planned;
  };

  const apply = async (planned: PlannedUp, call: TargetCall): Promise<AppliedUp> => {
    const state = planStates.get(planned);
    if (!state) throw new Error('swarmTarget.apply: a plan this target did not make');
    const d = await docker();
    const applyStarted = Date.now();
    if (state.plan.changed) {
      await applySwarmPlan({
        docker: d,
        stack: state.stack,
        plan: state.plan,
        secretIds: state.secretIds,
        secretValues: state.secretValues,
        progress: call.progress,
        signal: call.signal,
      });
    }
    const applyMs = Date.now() - applyStarted;
    const urls = await swarmServiceUrls(d, state.stack, state.settings);
    return {
      steps: planned.steps,
      changed: planned.changed,
      addresses: urls.map((u) => ({
        service: u.service,
        replica: u.node,
        containerPort: u.containerPort,
        baseUrl: new URL(u.url).origin,
        url: u.url,
      })),
      unreachable: [],
      details: {
        swarm: true,
        durationMs: Date.now() - state.started,
        timings: { pushMs: state.pushMs, applyMs },
        unchanged: state.plan.unchanged,
        pinned: state.plan.pinned,
        images: state.images,
        modes: state.settings.modes,
        urls,
      },
    };
  };

  return {
    kind: 'swarm',
    engine: async () => engineReport((await connectManager()).endpoint),
    connect: async () => {
      await connectManager();
    },
    lock: async (project, command) => lockProject(await docker(), project.name, command),
    plan,
    apply,

    async list(stack): Promise<Replica[]> {
      const tasks = await listSwarmTasks(await docker(), stack.project);
      return tasks.map((t) => ({
        service: t.service,
        name: `${stack.project}_${t.service}.${t.slot ?? t.id.slice(0, 12)}`,
        state: t.state,
        health: 'none',
        ports: [],
        image: t.image,
        startedAt: null,
        uptimeSeconds: null,
        node: t.node,
        slot: t.slot,
        desiredState: t.desiredState,
        error: t.error,
        id: t.id,
        updatedAt: t.updatedAt,
      }));
    },

    async remove(project, call): Promise<Removed> {
      call.progress.start(`removing project ${project} from the Swarm`);
      const removed = await removeSwarmProject(await docker(), project, {
        volumes: call.volumes,
      });
      call.progress.stop();
      return {
        ...removed,
        containers: [],
        images: [],
        kept: [
          call.volumes
            ? 'volumes on other nodes than the manager stay (a Swarm has no cluster-wide volumes)'
            : "volumes kept on their nodes (--volumes removes the manager's)",
        ],
      };
    },

    async logs(request): Promise<ReplicaLogLine[]> {
      const logs = await readSwarmServiceLogs(await docker(), request.stack.project, {
        ...(request.service && { service: request.service }),
        ...(request.tail !== undefined && { tail: request.tail }),
      });
      return logs.flatMap((l) =>
        l.lines.map((text) => ({
          service: l.service,
          replica: l.service,
          stream: 'stdout' as const,
          text,
          time: '',
        })),
      );
    },

    async followLogs() {
      throw new EstepsError('USAGE', 'Following logs (-f) is not supported with --swarm.', {
        hint: 'Leave out -f: esteps logs --swarm shows every task’s log up to now.',
      });
    },

    async addresses(stack, service, containerPort): Promise<ServiceAddress[]> {
      const urls = await swarmServiceUrls(await docker(), stack, await swarmSettings());
      const found = urls.filter(
        (u) =>
          u.service === service.name &&
          (containerPort === undefined || u.containerPort === containerPort),
      );
      if (found.length === 0) {
        throw new EstepsError(
          'NOT_RUNNING',
          `No running task of ${service.name} publishes a port to reach it on.`,
          { hint: 'Deploy it first: esteps up --swarm; esteps ps --swarm shows its tasks.' },
        );
      }
      return found.map((u) => ({
        service: u.service,
        replica: u.node,
        containerPort: u.containerPort,
        baseUrl: new URL(u.url).origin,
        url: u.url,
      }));
    },

    async hotpatch(request) {
      const names = request.services.map((s) => s.name);
      const stack = rebasedStack(request.stack, request.rebase);
      const planned = await plan({
        stack,
        project: { name: stack.project, dir: '', legacySecrets: {} },
        contexts: () => stackBuildContexts(stack),
        scale: {},
        only: names,
        dryRun: false,
        progress: request.progress,
        signal: request.signal,
      });
      const applied = await apply(planned, request);
      const images = (applied.details.images ?? {}) as Record<string, string>;
      return {
        services: names.map((service) => ({
          service,
          version: (images[service] ?? '').split('@sha256:')[1]?.slice(0, 12) ?? '',
          replicas: [],
        })),
        phases: applied.details.timings as Record<string, number>,
        steps: applied.steps,
      };
    },

    async secretValues(stack, project) {
      const loaded = await loadProjectSecrets(await docker(), stack.project, stack.secrets, {
        imports: project.legacySecrets,
        lengthBytes: stack.secretLengths,
      });
      return loaded.values;
    },

    eject: async (stack) => swarmEject(stack, await swarmSettings()),

    async [Symbol.asyncDispose]() {},
  };
}

/**
 * The project's secret values on the manager's engine: generated and stored on first need,
 * except on a dry run, which only reads (a value not made yet is a new random one, shown as
 * a secret to create, and never stored).
 */
async function projectSecretValues(
  manager: Engine,
  stack: ResolvedStack,
  request: PlanRequest,
): Promise<Readonly<Record<string, string>>> {
  if (!request.dryRun) {
    const loaded = await loadProjectSecrets(manager.docker, stack.project, stack.secrets, {
      imports: request.project.legacySecrets,
      lengthBytes: stack.secretLengths,
    });
    return loaded.values;
  }
  const stored = await readProjectSecrets(manager.docker, stack.project);
  return Object.fromEntries(
    stack.secrets.map((name) => [
      name,
      stored[name] ??
        request.project.legacySecrets[name] ??
        randomBytes(stack.secretLengths[name] ?? 32).toString('base64url'),
    ]),
  );
}

function currentImage(spec: Record<string, unknown>): string | undefined {
  return (spec as { TaskTemplate?: { ContainerSpec?: { Image?: string } } }).TaskTemplate
    ?.ContainerSpec?.Image;
}
