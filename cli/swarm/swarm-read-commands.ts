/**
 * `ps`, `down` and `smoke` with `--swarm`: the project on the Swarm DOCKER_HOST points at,
 * found by label as on one engine.
 */
import type { CommandContext, CommandResult } from '../command.js';
import { formatChecks } from '../commands/smoke.js';
import { connectEngine, engineAddress } from '../engine/client.js';
import { assertSwarmManager } from '../engine/swarm/observe-swarm.js';
import { removeSwarmProject } from '../engine/swarm/remove-swarm-project.js';
import { readSwarmSettings } from '../engine/swarm/swarm-settings.js';
import { listSwarmTasks, swarmServiceUrls } from '../engine/swarm/swarm-tasks.js';
import { EstepsError } from '../errors.js';
import { acquireProjectLock } from '../project/project-lock.js';
import { type ProjectOptions, readProject } from '../project-options.js';
import { runSmoke } from '../smoke/run-smoke.js';
import { formatTable } from '../ui/table.js';

async function swarmManager(ctx: CommandContext) {
  const engine = await connectEngine(ctx.env);
  await assertSwarmManager(engine.docker, engineAddress(ctx.env));
  return engine.docker;
}

/** `esteps ps --swarm`: the project's tasks, with service, node and state. */
export async function psSwarmCommand(
  ctx: CommandContext,
  options: ProjectOptions,
): Promise<CommandResult> {
  const project = await readProject(ctx, options);
  const docker = await swarmManager(ctx);
  const tasks = await listSwarmTasks(docker, project.name);
  const rows = tasks.map((t) => [
    t.service,
    t.slot === null ? '-' : String(t.slot),
    t.node,
    t.state,
    t.desiredState,
    t.error ?? '',
  ]);
  const text =
    tasks.length === 0
      ? `project ${project.name}: no tasks on the Swarm`
      : formatTable(['SERVICE', 'SLOT', 'NODE', 'STATE', 'DESIRED', 'ERROR'], rows);
  return { data: { project: project.name, tasks }, text };
}

/** `esteps down --swarm`: services, networks, secrets (volumes with --volumes). */
export async function downSwarmCommand(
  ctx: CommandContext,
  options: ProjectOptions & { volumes?: boolean },
): Promise<CommandResult> {
  const project = await readProject(ctx, options);
  const docker = await swarmManager(ctx);
  await using _lock = await acquireProjectLock(project.dir, project.name, 'down');
  ctx.progress.start(`removing project ${project.name} from the Swarm`);
  const removed = await removeSwarmProject(docker, project.name, {
    volumes: options.volumes ?? false,
  });
  ctx.progress.stop();
  const kept = options.volumes
    ? `, ${removed.volumes.length} volume(s) on the manager (other nodes keep theirs)`
    : "; volumes kept on their nodes (--volumes removes the manager's)";
  return {
    data: { project: project.name, swarm: true, removed },
    text: `project ${project.name}: removed ${removed.services.length} service(s), ${removed.networks.length} network(s), ${removed.secrets.length} secret(s)${kept}`,
  };
}

/** `esteps smoke --swarm`: the stack's checks through a published port of a running task. */
export async function smokeSwarmCommand(
  ctx: CommandContext,
  options: ProjectOptions,
): Promise<CommandResult> {
  const project = await readProject(ctx, options);
  const docker = await swarmManager(ctx);
  const stack = project.resolved;
  const settings = await readSwarmSettings(ctx.env);
  const target = stack.smoke?.service ?? stack.services.find((s) => s.httpProbe)?.name;
  const urls = (await swarmServiceUrls(docker, stack, settings)).filter(
    (u) => u.service === target,
  );
  const first = urls[0];
  if (!stack.smoke || !first) {
    throw new EstepsError(
      'NOT_RUNNING',
      `No running task of ${target ?? 'a service'} publishes a port to smoke.`,
      {
        hint: 'Deploy it first: esteps up --swarm; esteps ps --swarm shows its tasks.',
      },
    );
  }
  const baseUrl = new URL(first.url).origin;
  ctx.progress.start(`smoke ${baseUrl} (node ${first.node})`);
  const checks = await runSmoke({ baseUrl, checks: stack.smoke.checks, signal: ctx.signal });
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    ctx.progress.fail(`smoke: ${failed.length} of ${checks.length} checks failed`);
    throw new EstepsError(
      'SMOKE_FAILED',
      `Smoke failed against ${baseUrl}: ${failed.map((c) => c.name).join(', ')}.`,
      {
        hint: `Look at the services' logs: esteps logs --swarm -p ${project.name}.`,
        details: { project: project.name, url: baseUrl, checks, output: formatChecks(checks) },
      },
    );
  }
  ctx.progress.succeed(`smoke: ${checks.length} checks passed`);
  return {
    data: { project: project.name, url: baseUrl, node: first.node, checks },
    text: formatChecks(checks),
  };
}
