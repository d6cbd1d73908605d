import { resolve } from 'node:path';
import type { Command } from 'commander';
import { assertStackEdges } from '../../stacks/envoy/check-edges.js';
import type { ResolvedStack } from '../../stacks/model/model.js';
import { renderCompose } from '../../stacks/render/render-compose.js';
import { renderSwarmStack } from '../../stacks/render/render-swarm-stack.js';
import type { CommandContext, CommandResult, RegisterCommand } from '../command.js';
import { connectEngine } from '../engine/client.js';
import { loadProjectSecrets } from '../engine/secrets/project-secrets.js';
import { readSwarmSettings } from '../engine/swarm/swarm-settings.js';
import { loadProject } from '../project/load-project.js';
import { readLegacySecrets } from '../project/secrets-file.js';
import { displayPath, writeCompose } from '../project/write-compose.js';
import { type ProjectOptions, stackChoice, withProjectOptions } from '../project-options.js';

export interface RenderOptions extends ProjectOptions {
  /** Write the compose file here, with `.env` and build contexts beside it. */
  readonly output?: string;
  /** A file for `docker stack deploy` (stacks/render-swarm-stack.ts). @default false */
  readonly swarm?: boolean;
}

/**
 * `esteps render`: the compose file of a stack, what a user gets by ejecting to docker
 * compose. The document never holds a secret value: secrets are compose's top-level
 * `secrets:`, files under `secrets/` beside the compose file. To stdout (and `--json`, the
 * resolved stack, which holds no value either) nothing is read from the engine; with `-o FILE`
 * the project's secret values are fetched from the engine (generated on first need, as `up`
 * does) and written as those files, each built service's context goes beside it (an edge's
 * with its generated envoy.yaml), and see write-compose.ts for `.env` and WRITE_FAILED. A
 * stack whose edge configuration Envoy's API refuses is STACK_INVALID, every problem with its
 * path.
 */
export async function render(ctx: CommandContext, options: RenderOptions): Promise<CommandResult> {
  const project = await loadProject({
    cwd: ctx.cwd,
    env: ctx.env,
    ...stackChoice(options),
    ...(options.project !== undefined && { project: options.project }),
  });
  // An edge's Envoy configuration is checked against Envoy's API before anything is written.
  await assertStackEdges(project.resolved);
  const settings = options.swarm ? await readSwarmSettings(ctx.env) : undefined;
  const swarm = settings
    ? renderSwarmStack(project.resolved, {
        // Unset here: the file reads it when deployed (docker stack deploy interpolates).
        registry: settings.registry ?? `\${ESTEPS_REGISTRY:?set ESTEPS_REGISTRY}`,
        ...settings.modes,
      })
    : undefined;
  const rendered = swarm ?? renderCompose(project.resolved);
  // Loaded here: the YAML writer is large and only render needs it.
  const { toYaml } = await import('../../stacks/render/to-yaml.js');
  const yaml = toYaml(
    rendered.document,
    swarm
      ? swarmHeader(project.resolved.name, project.name, swarm.notes)
      : header(project.resolved.name, project.name),
  );
  if (!options.output) {
    return { data: { stack: project.resolved }, text: yaml.trimEnd() };
  }
  ctx.progress.start('Bundling the service and writing the compose project');
  const written = await writeCompose(
    resolve(ctx.cwd, options.output),
    yaml,
    rendered,
    project,
    ctx.env,
    async () => {
      const engine = await connectEngine(ctx.env);
      const legacy = await readLegacySecrets(project.legacySecretsFile, project.resolved.secrets);
      const loaded = await loadProjectSecrets(
        engine.docker,
        project.name,
        project.resolved.secrets,
        { imports: legacy },
      );
      return loaded.values;
    },
  );
  ctx.progress.succeed();
  const show = (p: string) => displayPath(ctx.cwd, p);
  const lines = [
    `Wrote ${show(written.file)}`,
    ...(written.secretsDir
      ? [`  ${show(written.secretsDir)}/: secret files (keep them private)`]
      : []),
    written.envFile
      ? `  ${show(written.envFile)}: variable overrides`
      : '  .env not written: esteps reads the .env there; docker-compose reads it too',
    ...Object.values(written.contexts).map((dir) => `  ${show(dir)}/: build context`),
    settings
      ? `Run (images pushed by esteps up --swarm): ${standInVariables(project.resolved, settings.registry)}docker stack deploy -c ${show(written.file)} ${project.name}`
      : `Run: docker-compose -p ${project.name} -f ${show(written.file)} up -d --build`,
  ];
  return {
    data: {
      file: written.file,
      ...(written.envFile && { envFile: written.envFile }),
      ...(written.secretsDir && { secretsDir: written.secretsDir }),
      contexts: written.contexts,
      stack: project.resolved,
    },
    text: lines.join('\n'),
  };
}

function header(stack: string, project: string): string {
  return [
    `Rendered by esteps from stack "${stack}" for project "${project}".`,
    `Run it with: docker-compose -p ${project} -f FILE up -d --build`,
    'Variables come from the .env beside this file; secrets from the files under secrets/.',
  ].join('\n');
}

/**
 * `ESTEPS_POSTGRES_IMAGE=<registry>/esteps-local/postgres:15-bookworm ` for each image a
 * variable names that is a stand-in of setup (`esteps-local/...`): no registry but the Swarm's
 * serves it (`up --swarm` pushed it there), and docker stack deploy reads no `.env`.
 */
function standInVariables(stack: ResolvedStack, registry: string | undefined): string {
  const assignments = stack.services.flatMap((s) => {
    const origin = stack.origins[`services.${s.name}.image`];
    return !s.build && origin && s.image.startsWith('esteps-local/')
      ? [`${origin.variable}=${registry ?? '$ESTEPS_REGISTRY'}/${s.image} `]
      : [];
  });
  return [...new Set(assignments)].join('');
}

function swarmHeader(stack: string, project: string, notes: readonly string[]): string {
  return [
    `Rendered by esteps from stack "${stack}" for project "${project}", for a Swarm.`,
    `Run it with: docker stack deploy -c FILE ${project}`,
    'Built images must be in the registry first (esteps up --swarm pushes them).',
    'Variables come from the environment of docker stack deploy (it reads no .env); secrets',
    'from the files under secrets/.',
    ...notes.map((n) => `Note: ${n}.`),
  ].join('\n');
}

export const registerRender: RegisterCommand = (program: Command, run) => {
  withProjectOptions(
    program.command('render').description('Print (or write with -o) the compose file of a stack'),
    'print the resolved stack as JSON instead of YAML',
  )
    .option('-o, --output <file>', 'write the compose file, its .env and build contexts here')
    .option('--swarm', 'a file for docker stack deploy (deploy: keys, overlay networks, secrets)')
    .action(run<RenderOptions>(render));
};
