import type { CommandResult, RegisterCommand } from '../command.js';
import { type WatchInput, watch } from '../operations/watch.js';
import { type ProjectOptions, projectInput, withProjectOptions } from './project-options.js';

export interface WatchOptions extends ProjectOptions {
  /** A copy of the project's sources to watch and patch from. @default the stack's own */
  readonly source?: string;
  /** Quiet time in ms that ends a burst of editor events (`--debounce`). @default 50 */
  readonly debounce?: string;
}

export const registerWatch: RegisterCommand = (program, run) => {
  withProjectOptions(
    program
      .command('watch')
      .argument('[service...]', 'only these services (default: every hot-patchable one)')
      .description('Hot-patch the running services on every change to their code, until Ctrl-C'),
    false,
  )
    .option('--source <dir>', "a copy of the project's sources to watch and patch from")
    .option('--debounce <ms>', 'quiet time that ends a burst of saves (default: 50)')
    .action(
      run(async (ctx, options: WatchOptions, args): Promise<CommandResult> => {
        const input: WatchInput = {
          ...projectInput(options),
          services: args,
          ...(options.source !== undefined && { source: options.source }),
          ...(options.debounce !== undefined && { debounceMs: options.debounce }),
        };
        const result = await watch(ctx, input);
        return {
          data: result,
          text: `stopped watching: ${result.patches} patches, ${result.failures} failed`,
        };
      }),
    );
};
