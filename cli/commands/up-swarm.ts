import type { ResolvedStack } from '../../stacks/model.js';
import { stackContexts } from '../bundle/stack-contexts.js';
import type { CommandContext, CommandResult } from '../command.js';
import { assembleBuildContext } from '../engine/build-context.js';
import { connectEngine, engineAddress } from '../engine/client.js';
import { deploySwarm } from '../engine/swarm/deploy-swarm.js';
import { formatSwarmPlan } from '../engine/swarm/plan-swarm.js';
import { swarmServiceUrls } from '../engine/swarm/swarm-tasks.js';
import { readSwarmSettings } from '../engine/swarm/swarm-settings.js';
import { EstepsError } from '../errors.js';
import { packageVersion } from '../package-root.js';
import { loadProject } from '../project/load-project.js';
import { acquireProjectLock } from '../project/project-lock.js';
import { stackChoice } from '../project-options.js';
import { formatTable } from '../ui/table.js';
import type { UpOptions } from './up.js';

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
  only?: readonly string[],
): Promise<CommandResult> {
  const started = Date.now();
  const project = await loadProject({
    cwd: ctx.cwd,
    env: ctx.env,
    ...stackChoice(options),
    ...(options.project !== undefined && { project: options.project }),
    secrets: 'create',
  });
  const stack = project.resolved;
  const scale = parseScale(stack, options.scale ?? []);
  const settings = await readSwarmSettings(ctx.env);
  const manager = await connectEngine(ctx.env);
  const builder = await connectEngine({ DOCKER_HOST: settings.buildHost });
  await using _lock = await acquireProjectLock(project.dir, project.name, 'up');
  const outcome = await deploySwarm({
    manager: manager.docker,
    managerAddress: engineAddress(ctx.env),
    builder: builder.docker,
    stack,
    settings,
    secretValues: project.secrets,
    scale,
    contexts: async () => {
      const contexts = await stackContexts(stack);
      return Object.fromEntries(
        Object.entries(contexts).map(([s, c]) => [s, assembleBuildContext(c.files, c.generated)]),
      );
    },
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
  const head = options.dryRun
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
