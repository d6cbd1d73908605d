import { relative } from 'node:path';
import type { Command } from 'commander';
import type { RegisterCommand } from '../command.js';
import { init } from '../operations/init.js';

export interface InitOptions {
  /** The stack's name. @default the folder's name, made valid */
  readonly name?: string;
  readonly json?: boolean;
}

export const registerInit: RegisterCommand = (program: Command, run) => {
  program
    .command('init')
    .argument('[dir]', 'folder to write the new stack into (default: the working directory)')
    .description('Write a small working stack of your own: a stack file, a service, its Dockerfile')
    .option('--name <name>', 'the stack name (default: the folder name)')
    .option('--json', 'print one JSON document on stdout')
    .action(
      run<InitOptions>(async (ctx, options, args) => {
        const outcome = await init(ctx, {
          ...(args[0] !== undefined && { dir: args[0] }),
          ...(options.name !== undefined && { name: options.name }),
        });
        const shown = relative(ctx.cwd, outcome.dir) || '.';
        const text = [
          `Wrote stack "${outcome.stack}" into ${shown}: ${outcome.files.join(', ')}`,
          'Next:',
          ...(shown === '.' ? [] : [`  cd ${shown}`]),
          '  esteps up            # build and start it; esteps ps shows where it answers',
          '  esteps hotpatch      # after editing service/main.ts (esteps watch: on every save)',
          '  esteps smoke         # the checks the stack declares',
          '  npm link esteps      # once, for your editor: the types of `import ... from "esteps"`',
        ].join('\n');
        return { data: outcome, text };
      }),
    );
};
