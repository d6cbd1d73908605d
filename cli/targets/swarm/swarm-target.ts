/**
 * A Swarm as a target: the manager DOCKER_HOST points at, an engine that builds and pushes
 * (this machine's, or ESTEPS_BUILD_HOST), a registry the nodes pull from. `up` deploys Swarm
 * services (rolling updates with rollback); a hot patch is a build, a push and a rolling
 * update of the hot-patchable services. Every call first checks the engine is a manager
 * (SWARM_UNAVAILABLE). `plan` reads only (swarm-plan.ts); `apply` builds, pushes and deploys
 * what the plan says.
 */

import { cacheRoot } from '../../bundle/build-cache.js';
import { stackBuildContexts } from '../../engine/build-context.js';
import { connectEngine, type Engine } from '../../engine/client.js';
import { lockHeld, lockProject } from '../../engine/project-lock.js';
import { loadProjectSecrets } from '../../engine/secrets/project-secrets.js';
import { applySwarmPlan } from '../../engine/swarm/apply-swarm.js';
import {
  assertSwarmManager,
  buildEngine,
  valuesVolumeId,
} from '../../engine/swarm/observe-swarm.js';
import { swarmPlanSteps } from '../../engine/swarm/plan-swarm.js';
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
import { patchOutcome } from './swarm-patch-outcome.js';
import { planOnSwarm, replanWithSecrets, type SwarmPlanState } from './swarm-plan.js';

type Docker = Engine['docker'];

interface PlanState extends SwarmPlanState {
  readonly settings: SwarmSettings;
  readonly started: number;
  readonly planMs: number;
}

const planStates = new WeakMap<PlannedUp, PlanState>();

export function swarmTarget(options: TargetOptions): Target {
  let manager: Promise<Engine> | undefined;
  let swarmId = '';
  /** The manager, checked to answer and to be one with one call (once per command). */
  const connectManager = () => {
    manager ??= connectEngine(options.env, {
      ...connectOptions(options),
      check: async (docker, address) => {
        swarmId = await assertSwarmManager(docker, address);
      },
    });
    return manager;
  };
  let settings: Promise<SwarmSettings> | undefined;
  /** The settings for this manager's Swarm (a test Swarm's facts, however it is reached). */
  const swarmSettings = () => {
    settings ??= connectManager().then((m) =>
      readSwarmSettings(options.env, { host: m.endpoint.host, swarmId }),
    );
    return settings;
  };
  const docker = async () => (await connectManager()).docker;
  const builder = async () => buildEngine({ DOCKER_HOST: (await swarmSettings()).buildHost });

  const plan = async (request: PlanRequest): Promise<PlannedUp> => {
    const started = Date.now();
    const [config, m] = await Promise.all([swarmSettings(), docker()]);
    const state = await planOnSwarm({
      request,
      manager: m,
      builder: buildEngine({ DOCKER_HOST: config.buildHost }),
      buildEnv: { DOCKER_HOST: config.buildHost },
      settings: config,
      version: packageVersion(),
    });
    const modes = `endpoint mode ${config.modes.endpointMode} (${config.modeSources.endpointMode}), publish mode ${config.modes.publishMode} (${config.modeSources.publishMode})`;
    const planned: PlannedUp = {
      project: request.stack.project,
      steps: swarmPlanSteps(state.plan),
      changed: state.plan.changed,
      notes: [modes],
      images: serviceImages(request.stack, (image) => state.images.standIns[image]),
    };
    planStates.set(planned, { ...state, settings: config, started, planMs: Date.now() - started });
    return planned;
  };

  const apply = async (planned: PlannedUp, call: TargetCall): Promise<AppliedUp> => {
    const planState = planStates.get(planned);
    if (!planState) throw new Error('swarmTarget.apply: a plan this target did not make');
    const m = await docker();
    const applyStarted = Date.now();
    let state: PlanState = planState;
    let pushed: Readonly<Record<string, string>> = {};
    if (state.plan.changed) {
      state = await storeSecrets(m, state, call);
      const volumeId =
        state.observed.valuesVolumeId ??
        (state.stack.secrets.length > 0 ? await valuesVolumeId(m, state.stack.project) : undefined);
      ({ pushed } = await applySwarmPlan({
        docker: m,
        builder,
        stack: state.stack,
        plan: state.plan,
        secretIds: state.observed.secrets,
        secretValues: state.secrets.values,
        valuesVolumeId: volumeId,
        contexts: state.images.contexts,
        version: packageVersion(),
        progress: call.progress,
        signal: call.signal,
      }));
    }
    const applyMs = Date.now() - applyStarted;
    // Nothing changed: where the services answer is what the plan found.
    const urls = state.plan.changed
      ? await swarmServiceUrls(m, state.stack, state.settings)
      : await state.urls;
    const images = Object.fromEntries(
      state.stack.services.map((s) => {
        const choice = state.choices[s.name];
        return [
          s.name,
          pushed[s.name] ?? (choice && choice.kind !== 'push' ? choice.ref : s.image),
        ];
      }),
    );
    return {
      steps: swarmPlanSteps(state.plan),
      changed: state.plan.changed,
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
        timings: { planMs: state.planMs, applyMs },
        unchanged: state.plan.unchanged,
        pinned: state.plan.pinned,
        images,
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
    lockHeld: async (project) => lockHeld(await docker(), project.name),
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
      await request.locked;
      const names = request.services.map((s) => s.name);
      const stack = rebasedStack(request.stack, request.rebase);
      const planned = await plan({
        stack,
        project: { name: stack.project, dir: '', legacySecrets: {} },
        contexts: () => stackBuildContexts(stack, cacheRoot(options.env)),
        scale: {},
        only: names,
        dryRun: false,
        progress: request.progress,
        signal: request.signal,
      });
      const state = planStates.get(planned)!;
      const applied = await apply(planned, request);
      const tasks = await listSwarmTasks(await docker(), stack.project);
      return patchOutcome({
        state,
        names,
        images: (applied.details.images ?? {}) as Record<string, string>,
        tasks,
        steps: applied.steps,
        phases: applied.details.timings as Record<string, number>,
      });
    },

    async secretValues(stack, project) {
      const loaded = await loadProjectSecrets(await docker(), stack.project, stack.secrets, {
        imports: project.legacySecrets,
        lengthBytes: stack.secretLengths,
      });
      return loaded.values;
    },

    // Rendering asks no engine: the test Swarm, if any, is DOCKER_HOST's.
    eject: async (stack) => swarmEject(stack, await readSwarmSettings(options.env)),

    async [Symbol.asyncDispose]() {},
  };
}

/**
 * Stores the values the plan made up for secrets the values volume lacked (`apply` only).
 * Another command may have stored the same names at the same moment: the volume's values
 * win, and the plan is made again with them (only secret names change).
 */
async function storeSecrets(
  docker: Docker,
  state: PlanState,
  call: TargetCall,
): Promise<PlanState> {
  const { stack, secrets } = state;
  if (secrets.toStore.length === 0) return state;
  call.progress.start('secrets');
  const loaded = await loadProjectSecrets(docker, stack.project, stack.secrets, {
    imports: Object.fromEntries(secrets.toStore.map((n) => [n, secrets.values[n]!])),
    lengthBytes: stack.secretLengths,
  });
  call.progress.stop();
  if (loaded.created.length > 0) {
    call.progress.info(
      `Secrets ${loaded.created.join(', ')} of project ${stack.project} stored on the Swarm manager's engine (volume ${stack.project}.secrets).`,
    );
  }
  const same = stack.secrets.every((n) => loaded.values[n] === secrets.values[n]);
  if (same) return state;
  return {
    ...state,
    ...replanWithSecrets(state, loaded.values, state.settings, packageVersion()),
  };
}
