import type { ResolvedStack } from '../../stacks/model/model.js';
import type { CommandContext, CommandResult } from '../command.js';
import type { UpOptions } from '../commands/up.js';
import { stackBuildContexts } from '../engine/build-context.js';
import { connectEngine, engineAddress } from '../engine/client.js';
import { loadProjectSecrets } from '../engine/secrets/project-secrets.js';
import { deploySwarm } from '../engine/swarm/deploy-swarm.js';
import { assertSwarmManager } from '../engine/swarm/observe-swarm.js';
import { formatSwarmPlan } from '../engine/swarm/plan-swarm.js';
import { readSwarmSettings } from '../engine/swarm/swarm-settings.js';
import { swarmServiceUrls } from '../engine/swarm/swarm-tasks.js';
import { EstepsError } from '../errors.js';
import { packageVersion } from '../package-root.js';
import { sourceRebase } from '../project/hotpatch-project.js';
import { loadProject, type Project } from '../project/load-project.js';
import { acquireProjectLock } from '../project/project-lock.js';
import { stackChoice } from '../project-options.js';
import { formatTable } from '../ui/table.js';

export interface UpSwarmOptions extends UpOptions {
  /** `--scale SERVICE=N`, repeatable. */
  readonly scale?: readonly string[];
}

/**
 * `esteps up --swarm` (and `hotpatch --swarm` with `only`): build, push, deploy to the Swarm
 * DOCKER_HOST points at, and wait until every service converged.
 */
export async function upSwarmCommand(
  ctx: CommandContext,
  options: UpSwarmOptions,
  patch?: SwarmPatch,
): Promise<CommandResult> {
  const started = Date.now();
  const project = await loadProject({
    cwd: ctx.cwd,
    env: ctx.env,
    ...stackChoice(options),
    ...(options.project !== undefined && { project: options.project }),
  });
  const stack = patch ? patchedStack(project, patch) : project.resolved;
  const only = patch && hotpatchable(stack, patch.services);
  const scale = parseScale(stack, options.scale ?? []);
  const settings = await readSwarmSettings(ctx.env);
  const [manager, builder] = await Promise.all([
    connectEngine(ctx.env),
    connectEngine({ DOCKER_HOST: settings.buildHost }),
  ]);
  await assertSwarmManager(manager.docker, engineAddress(ctx.env));
  await using _lock = await acquireProjectLock(project.dir, project.name, 'up');
  // The values live on the manager's engine (as on one engine: the project's secrets volume);
  // Swarm secrets cannot be read back. Read while the images are built and pushed; its
  // errors are reported where the deploy awaits it.
  const secretValues = loadProjectSecrets(manager.docker, project.name, stack.secrets, {
    lengthBytes: lengthBytes(project.stack.secrets ?? {}),
  }).then((loaded) => loaded.values);
  secretValues.catch(() => undefined);
  const outcome = await deploySwarm({
    manager: manager.docker,
    builder: builder.docker,
    stack,
    settings,
    secretValues,
    scale,
    contexts: () => stackBuildContexts(stack),
    ...(only && { only }),
    version: packageVersion(),
    dryRun: options.dryRun ?? false,
    progress: ctx.progress,
    signal: ctx.signal,
    onPlan: (plan) => {
      const modes = `endpoint mode ${settings.modes.endpointMode} (${settings.modeSources.endpointMode}), publish mode ${settings.modes.publishMode} (${settings.modeSources.publishMode})`;
      ctx.progress.info(`${formatSwarmPlan(plan)}\n${modes}`);
    },
  });
  const { plan } = outcome;
  const urls = options.dryRun ? [] : await swarmServiceUrls(manager.docker, stack, settings);
  const data = {
    project: stack.project,
    stack: stack.name,
    swarm: true,
    dryRun: options.dryRun ?? false,
    changed: plan.changed,
    durationMs: Date.now() - started,
    timings: outcome.timings,
    plan: plan.operations.map((op) => ({
      kind: op.kind,
      target: 'service' in op ? op.service : op.name,
      cause: op.cause,
    })),
    unchanged: plan.unchanged,
    pinned: plan.pinned,
    images: outcome.images,
    modes: settings.modes,
    urls,
  };
  const took = `${((Date.now() - started) / 1000).toFixed(1)} s (build and push ${(outcome.timings.pushMs / 1000).toFixed(1)} s, rolling update ${(outcome.timings.applyMs / 1000).toFixed(1)} s)`;
  const head = only
    ? plan.changed
      ? `${only.join(', ')}: new code on every replica of the Swarm in ${took}`
      : `${only.join(', ')}: the Swarm already runs this code`
    : options.dryRun
      ? `${formatSwarmPlan(plan)}\n(dry run: nothing was changed)`
      : plan.changed
        ? `project ${stack.project} is up on the Swarm`
        : `project ${stack.project}: nothing to do on the Swarm`;
  const table = urls.length
    ? `\n${formatTable(
        ['SERVICE', 'NODE', 'ADDRESS'],
        urls.map((u) => [u.service, u.node, u.url]),
      )}`
    : '';
  return { data, text: `${head}${table}` };
}

function lengthBytes(
  specs: Readonly<Record<string, { lengthBytes?: number }>>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(specs).flatMap(([k, v]) => (v.lengthBytes ? [[k, v.lengthBytes]] : [])),
  );
}

/** `hotpatch --swarm`: the services to take new code to, and where the code is. */
export interface SwarmPatch {
  /** @default every hot-patchable service */
  readonly services: readonly string[];
  /** `--source DIR`, absolute. */
  readonly source?: string;
}

/** The stack with the patched services' bundle entries taken from `--source`. */
function patchedStack(project: Project, patch: SwarmPatch): ResolvedStack {
  const rebase = sourceRebase(project, patch.source);
  const stack = project.resolved;
  return {
    ...stack,
    services: stack.services.map((s) =>
      s.build && s.hotpatch
        ? {
            ...s,
            build: {
              ...s.build,
              bundles: Object.fromEntries(
                Object.entries(s.build.bundles).map(([k, b]) => [
                  k,
                  { ...b, entry: rebase(b.entry) },
                ]),
              ),
            },
          }
        : s,
    ),
  };
}

function hotpatchable(stack: ResolvedStack, asked: readonly string[]): string[] {
  const names = stack.services.filter((s) => s.hotpatch).map((s) => s.name);
  const unknown = asked.filter((a) => !names.includes(a));
  if (unknown.length > 0 || names.length === 0) {
    throw new EstepsError(
      'USAGE',
      `Not a hot-patchable service: ${unknown.join(', ') || '(none in the stack)'}.`,
      {
        hint: `Hot-patchable services: ${names.join(', ') || 'none'}.`,
      },
    );
  }
  return asked.length > 0 ? [...asked] : names;
}

/** `usersvc=5` -> { usersvc: 5 }; USAGE for anything else. */
function parseScale(stack: ResolvedStack, given: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of given) {
    const m = g.match(/^([a-z0-9_-]+)=(\d+)$/);
    if (!m || !stack.services.some((s) => s.name === m[1])) {
      throw new EstepsError('USAGE', `--scale ${g} is not SERVICE=N for a service of the stack.`, {
        hint: `Services: ${stack.services.map((s) => s.name).join(', ')}; e.g. --scale usersvc=5.`,
      });
    }
    out[m[1]!] = Number(m[2]);
  }
  return out;
}
