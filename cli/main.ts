import { Command, CommanderError } from 'commander';
import type { CommandContext, CommandResult, RunAction } from './command.js';
import { commands } from './commands/index.js';
import { type EstepsError, toEstepsError } from './errors.js';
import { packageVersion } from './package-root.js';
import { withGlobalProjectOptions } from './project-options.js';
import { createProgress } from './ui/progress.js';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort(new Error('interrupted'));
  process.stderr.write(
    '\nInterrupted: stopping at the next safe point (Ctrl-C again to quit now).\n',
  );
});

/** The single place that prints results and errors and sets the exit code. */
const run: RunAction =
  (fn) =>
  async (...commanderArgs) => {
    const command = commanderArgs[commanderArgs.length - 1] as Command;
    // Options given before the command (`esteps -f FILE up`), then the command's own.
    const options = { ...command.parent?.opts(), ...definedOptions(command) } as {
      json?: boolean;
    };
    const json = options.json === true;
    const progress = createProgress();
    const ctx: CommandContext = {
      cwd: process.cwd(),
      env: process.env,
      json,
      progress,
      signal: interrupt.signal,
    };
    try {
      const result = await fn(ctx, options as never, command.args);
      progress.stop();
      printResult(result, json);
      process.exitCode = result.exitCode ?? 0;
    } catch (err) {
      progress.stop();
      const error = toEstepsError(err);
      printError(error, json);
      process.exitCode = error.exitCode;
    }
  };

/** The command's options that were given or have a default (not the undefined ones). */
function definedOptions(command: Command): Record<string, unknown> {
  return Object.fromEntries(Object.entries(command.opts()).filter(([, v]) => v !== undefined));
}

function printResult(result: CommandResult, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: true, ...result.data }, null, 2)}\n`);
  } else if (result.text) {
    process.stdout.write(`${result.text}\n`);
  }
}

function printError(error: EstepsError, json: boolean): void {
  if (json) {
    const body = {
      ok: false,
      error: { code: error.code, message: error.message, hint: error.hint, ...error.details },
    };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  }
  const lines = [`esteps: ${error.message}`];
  const output = error.details?.output;
  if (typeof output === 'string' && output.trim()) lines.push(indent(output.trimEnd()));
  if (error.hint) lines.push(`hint: ${error.hint}`);
  if (process.env.ESTEPS_DEBUG && error.cause instanceof Error && error.cause.stack) {
    lines.push(error.cause.stack);
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  | ${l}`)
    .join('\n');
}

const program = new Command()
  .name('esteps')
  .description('Typed multi-container stacks on Docker, with a fast dev loop.')
  .version(packageVersion(), '-V, --version')
  .showHelpAfterError('(run esteps --help for usage)')
  .exitOverride();
withGlobalProjectOptions(program);

for (const register of commands) register(program, run);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    const error = toEstepsError(err);
    printError(error, process.argv.includes('--json'));
    process.exitCode = error.exitCode;
  }
}
