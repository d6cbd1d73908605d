import type { Command } from 'commander';
import type { CommandResult, RegisterCommand } from '../command.js';
import { type RenderOutcome, render } from '../operations/render.js';
import { displayPath } from '../project/write-compose.js';
import {
  type ProjectOptions,
  projectInput,
  type TargetOptions,
  withProjectOptions,
  withTargetOption,
} from './project-options.js';

export interface RenderOptions extends ProjectOptions, TargetOptions {
  /** Write the file here, with `.env` and build contexts beside it. */
  readonly output?: string;
}

function renderResult(cwd: string, outcome: RenderOutcome): CommandResult {
  const { written } = outcome;
  if (!written) return { data: { stack: outcome.stack }, text: outcome.yaml.trimEnd() };
  const show = (p: string) => displayPath(cwd, p);
  const lines = [
    `Wrote ${show(written.file)}`,
    ...(written.secretsDir
      ? [`  ${show(written.secretsDir)}/: secret files (keep them private)`]
      : []),
    written.envFile
      ? `  ${show(written.envFile)}: variable overrides`
      : '  .env not written: esteps reads the .env there; docker-compose reads it too',
    ...Object.values(written.contexts).map((dir) => `  ${show(dir)}/: build context`),
    outcome.run ?? '',
  ];
  return {
    data: {
      file: written.file,
      ...(written.envFile && { envFile: written.envFile }),
      ...(written.secretsDir && { secretsDir: written.secretsDir }),
      contexts: written.contexts,
      stack: outcome.stack,
    },
    text: lines.join('\n'),
  };
}

export const registerRender: RegisterCommand = (program: Command, run) => {
  withTargetOption(
    withProjectOptions(
      program.command('render').description('Print (or write with -o) the compose file of a stack'),
      'print the resolved stack as JSON instead of YAML',
    ),
    'a file for docker stack deploy (deploy: keys, overlay networks, secrets)',
  )
    .option('-o, --output <file>', 'write the compose file, its .env and build contexts here')
    .action(
      run<RenderOptions>(async (ctx, options) =>
        renderResult(
          ctx.cwd,
          await render(ctx, {
            ...projectInput(options),
            ...(options.output !== undefined && { output: options.output }),
          }),
        ),
      ),
    );
};
