import { resolve } from 'node:path';
import type { Command } from 'commander';
import { assertStackEdges } from '../../stacks/check-edges.js';
import { renderCompose } from '../../stacks/render-compose.js';
import type { CommandContext, CommandResult, RegisterCommand } from '../command.js';
import { loadProject } from '../project/load-project.js';
import { displayPath, writeCompose } from '../project/write-compose.js';
import { type ProjectOptions, stackChoice, withProjectOptions } from '../project-options.js';

export interface RenderOptions extends ProjectOptions {
  /** Write the compose file here, with `.env` and build contexts beside it. */
  readonly output?: string;
}

/**
 * `esteps render`: the compose file of a stack, what a user gets by ejecting to docker
 * compose. To stdout, secrets stay `${VAR}` references and no secret file is touched; with
 * `-o FILE`, the `.env` beside FILE gets the project's secrets (created on first need), and
 * each built service's context goes beside it (an edge's with its generated envoy.yaml).
 * `--json` prints the resolved stack, secrets shown as "<secret>". A stack whose edge
 * configuration Envoy's API refuses is STACK_INVALID, every problem with its path.
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
  const rendered = renderCompose(project.resolved);
  // Loaded here: the YAML writer is large and only render needs it.
  const { toYaml } = await import('../../stacks/to-yaml.js');
  const yaml = toYaml(rendered.document, header(project.resolved.name, project.name));
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
  );
  ctx.progress.succeed();
  const show = (p: string) => displayPath(ctx.cwd, p);
  const lines = [
    `Wrote ${show(written.file)}`,
    `  ${show(written.envFile)}: secrets and overrides (keep it private)`,
    ...Object.values(written.contexts).map((dir) => `  ${show(dir)}/: build context`),
    `Run: docker-compose -p ${project.name} -f ${show(written.file)} up -d --build`,
  ];
  return {
    data: {
      file: written.file,
      envFile: written.envFile,
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
    'Variables come from the .env beside this file (esteps render -o FILE writes it).',
  ].join('\n');
}

export const registerRender: RegisterCommand = (program: Command, run) => {
  withProjectOptions(
    program.command('render').description('Print (or write with -o) the compose file of a stack'),
    'print the resolved stack as JSON instead of YAML',
  )
    .option('-o, --output <file>', 'write the compose file, its .env and build contexts here')
    .action(run<RenderOptions>(render));
};
