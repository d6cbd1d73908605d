import type { Command } from 'commander';
import { assertStackEdges } from '../../stacks/envoy/check-edges.js';
import { baseImages } from '../../stacks/model/base-image-args.js';
import type { ResolvedStack } from '../../stacks/model/model.js';
import {
  bothInOrder,
  type CommandContext,
  type CommandResult,
  type RegisterCommand,
} from '../command.js';
import { type BuildContext, stackBuildContexts } from '../engine/build-context.js';
import { connectEngine, type Engine } from '../engine/client.js';
import { type ConvergeOutcome, convergeStack } from '../engine/converge.js';
import { describeOperation, formatPlan } from '../engine/format-plan.js';
import { secretsVolumeName } from '../engine/secrets/project-secrets.js';
import { prepareStackSecrets, type SecretsOnEngine } from '../engine/secrets/stack-secrets.js';
import { serviceUrls } from '../engine/service-urls.js';
import { explainError } from '../errors.js';
import { packageVersion } from '../package-root.js';
import { loadProject, type Project } from '../project/load-project.js';
import { acquireProjectLock } from '../project/project-lock.js';
import { readLegacySecrets } from '../project/secrets-file.js';
import { type ProjectOptions, stackChoice, withProjectOptions } from '../project-options.js';
import { upSwarmCommand } from '../swarm/up-swarm.js';
import { formatTable } from '../ui/table.js';

export interface UpOptions extends ProjectOptions {
  /** Print the plan and change nothing. @default false */
  readonly dryRun?: boolean;
  /** Deploy to the Swarm DOCKER_HOST points at (cli/swarm/up-swarm.ts). @default false */
  readonly swarm?: boolean;
  /** With --swarm: `SERVICE=N`, repeatable. */
  readonly scale?: readonly string[];
}

/** One service's image and where its reference came from, as `up` reports it. */
export interface ServiceReport {
  readonly service: string;
  readonly image: string;
  /** 'default' | 'environment' | '.env' | 'stack' | 'built' */
  readonly imageSource: string;
  /** The variable that overrides the image (or, for built images, none). */
  readonly variable?: string;
  /** The official image this one stands in for (a stand-in built by `npm run setup`). */
  readonly standInFor?: string;
  /** Base images of a built image, with their sources. */
  readonly bases?: readonly {
    arg: string;
    image: string;
    source: string;
    variable?: string;
    standInFor?: string;
  }[];
  readonly urls: readonly string[];
}

/**
 * `esteps up`: converge the project on the engine to the stack. Prints the plan and the
 * images (stderr, before any volume or container changes; a refused plan changes nothing),
 * then where the services answer (stdout).
 */
export async function upCommand(ctx: CommandContext, options: UpOptions): Promise<CommandResult> {
  if (options.swarm) return upSwarmCommand(ctx, options);
  let contexts: Promise<Record<string, BuildContext>> | undefined;
  const [project, engine] = await bothInOrder(
    loadProject({
      cwd: ctx.cwd,
      env: ctx.env,
      ...stackChoice(options),
      ...(options.project !== undefined && { project: options.project }),
    }).then(async (loaded) => {
      // An edge's Envoy configuration is checked against Envoy's API before the engine is used.
      await assertStackEdges(loaded.resolved);
      // Bundling (CPU) starts while the engine answers and the lock is taken; its errors are
      // reported where `up` awaits it.
      contexts = stackBuildContexts(loaded.resolved);
      contexts.catch(() => undefined);
      return loaded;
    }),
    connectEngine(ctx.env),
  );
  const built = contexts!;
  // The read-only pass's values serve the real pass: both run under the project's lock.
  let stored: SecretsOnEngine | undefined;
  const secrets = async (dryRun: boolean) => {
    const result = await prepareStackSecretsFor(ctx, engine, project, dryRun, stored);
    stored = result.stored;
    return result.revisions;
  };
  if (options.dryRun) return runUp(ctx, engine, project.resolved, built, true, secrets);
  await using _lock = await acquireProjectLock(project.dir, project.name, 'up');
  // Awaited here: the lock is released when this scope ends.
  return await runUp(ctx, engine, project.resolved, built, false, secrets).catch((err: unknown) =>
    explainError(err, 'INTERRUPTED', {
      message: 'Interrupted before the stack was complete.',
      hint: 'Run `esteps up` again: it picks up from whatever was left.',
    }),
  );
}

/**
 * The project's secrets on the engine, checked against its data volumes (SECRET_MISMATCH),
 * generated or imported from a legacy `.esteps/<project>/secrets.env` when missing, and
 * written as each service's files; only their revisions come back.
 */
async function prepareStackSecretsFor(
  ctx: CommandContext,
  engine: Engine,
  project: Project,
  dryRun: boolean,
  stored: SecretsOnEngine | undefined,
): Promise<{ revisions: Readonly<Record<string, string>>; stored?: SecretsOnEngine }> {
  if (project.resolved.secrets.length === 0) return { revisions: {} };
  if (!dryRun) ctx.progress.start('secrets');
  const result = await prepareStackSecrets({
    docker: engine.docker,
    stack: project.resolved,
    specs: project.stack.secrets ?? {},
    legacy: await readLegacySecrets(project.legacySecretsFile, project.resolved.secrets),
    dryRun,
    ...(stored && { stored }),
  });
  if (!dryRun) {
    ctx.progress.stop();
    if (result.created.length > 0) {
      ctx.progress.info(
        `Secrets ${result.created.join(', ')} of project ${project.name} stored on the engine (volume ${secretsVolumeName(project.name)}).`,
      );
    }
  }
  return result;
}

/** The part of `up` after loading the project (and taking its lock). */
export async function runUp(
  ctx: CommandContext,
  engine: Engine,
  resolved: ResolvedStack,
  contexts: Promise<Readonly<Record<string, BuildContext>>>,
  dryRun: boolean,
  secrets?: (dryRun: boolean) => Promise<Readonly<Record<string, string>>>,
): Promise<CommandResult> {
  const reports = (images: ObservedImages, outcome?: ConvergeOutcome) =>
    serviceReports(resolved, images, outcome);
  const outcome = await convergeStack({
    engine,
    stack: resolved,
    contexts: () => contexts,
    version: packageVersion(),
    ...(secrets && { secrets }),
    dryRun,
    progress: ctx.progress,
    signal: ctx.signal,
    onPlan: (plan, images) => {
      if (!dryRun) ctx.progress.info(`${formatPlan(plan)}\n${formatImages(reports(images))}`);
    },
  });
  const services = reports(outcome.images, outcome);
  const { plan } = outcome;
  const data = {
    project: resolved.project,
    stack: resolved.name,
    dryRun,
    changed: plan.changed,
    plan: plan.operations.map((op) => ({ kind: op.kind, ...describeOperation(op) })),
    services,
  };
  const text = dryRun
    ? `${formatPlan(plan)}\n${formatImages(services)}\n(dry run: nothing was changed)`
    : formatSummary(resolved.project, plan.changed, services);
  return { data, text };
}

type ObservedImages = ConvergeOutcome['images'];

function serviceReports(
  stack: ResolvedStack,
  images: ObservedImages,
  outcome: ConvergeOutcome | undefined,
): ServiceReport[] {
  const standIn = (image: string) => {
    const of = images[image]?.standInFor;
    return of ? { standInFor: of } : {};
  };
  return stack.services.map((s) => {
    const urls = serviceUrls(s, outcome?.containers.filter((c) => c.service === s.name) ?? []);
    if (!s.build) {
      const origin = imageOrigin(stack, `services.${s.name}.image`);
      return { service: s.name, image: s.image, ...origin, ...standIn(s.image), urls };
    }
    const bases = Object.entries(baseImages(s.build)).map(([arg, image]) => {
      const { imageSource, variable } = imageOrigin(stack, `services.${s.name}.build.args.${arg}`);
      return { arg, image, source: imageSource, ...(variable && { variable }), ...standIn(image) };
    });
    return { service: s.name, image: s.image, imageSource: 'built', bases, urls };
  });
}

/** Where an image reference came from: the stack literal, or a variable's source. */
function imageOrigin(
  stack: ResolvedStack,
  path: string,
): { imageSource: string; variable?: string } {
  const origin = stack.origins[path];
  if (origin === undefined) return { imageSource: 'stack' };
  return { imageSource: origin.kind, variable: origin.variable };
}

function describeSource(source: string, variable: string | undefined): string {
  if (source === 'default') return `default${variable ? ` (set ${variable} to override)` : ''}`;
  if (source === 'stack') return 'stack definition';
  return `${source}${variable ? ` ${variable}` : ''}`;
}

function describeStandIn(standInFor: string | undefined): string {
  return standInFor ? `; stand-in for ${standInFor}` : '';
}

function formatImages(services: readonly ServiceReport[]): string {
  const rows = services.map((s) => {
    if (s.imageSource !== 'built') {
      return [
        s.service,
        s.image,
        `from ${describeSource(s.imageSource, s.variable)}${describeStandIn(s.standInFor)}`,
      ];
    }
    const bases = (s.bases ?? [])
      .map(
        (b) =>
          `${b.arg}=${b.image} (${describeSource(b.source, b.variable)}${describeStandIn(b.standInFor)})`,
      )
      .join(', ');
    return [s.service, s.image, `built on ${bases}`];
  });
  return `images:\n${indent(formatTable(['SERVICE', 'IMAGE', 'SOURCE'], rows))}`;
}

function formatSummary(
  project: string,
  changed: boolean,
  services: readonly ServiceReport[],
): string {
  const head = changed ? `project ${project} is up` : `project ${project}: nothing to do`;
  const rows = services.flatMap((s) => s.urls.map((u) => [s.service, u]));
  return rows.length > 0 ? `${head}\n${formatTable(['SERVICE', 'ADDRESS'], rows)}` : head;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

export const registerUp: RegisterCommand = (program: Command, run) => {
  withProjectOptions(
    program
      .command('up')
      .description('Build, create and start the stack; converge what exists to what is defined'),
  )
    .option('--dry-run', 'print the plan and change nothing')
    .option('--swarm', 'deploy to the Swarm DOCKER_HOST points at (build, push, rolling update)')
    .option(
      '--scale <service=n...>',
      'with --swarm: replicas of a service, overriding the stack',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action(run<UpOptions>(upCommand));
};
