import { stripVTControlCharacters } from 'node:util';
import { Command, CommanderError } from 'commander';
import type { CommandContext, CommandResult, RunAction } from './command.js';
import { qualifyError, type StackChoiceArgs } from './commands/hint-args.js';
import { commands } from './commands/index.js';
import { withGlobalProjectOptions } from './commands/project-options.js';
import { EstepsError, exitCodes, toEstepsError } from './errors.js';
import { packageVersion } from './package-root.js';
import { createProgress } from './ui/progress.js';
import { unlessStalled } from './unless-stalled.js';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort(new Error('interrupted'));
  process.stderr.write(
    '\nInterrupted: stopping at the next safe point (Ctrl-C again to quit now).\n',
  );
});

/**
 * A reader that went away (`esteps logs -f | head -1`) ends the command quietly, as Ctrl-C
 * would but without the message: nothing more can be shown, so nothing more is written.
 */
let stdoutClosed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  stdoutClosed = true;
  if (!interrupt.signal.aborted) interrupt.abort(new Error('stdout closed'));
});

function writeStdout(text: string): void {
  if (!stdoutClosed) process.stdout.write(text);
}

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
    const empty = emptyOption(command);
    if (empty) {
      printError(
        new EstepsError('USAGE', `The value given with ${empty} is empty.`, {
          hint: `Give a value, or leave ${empty} out.`,
        }),
        json,
      );
      process.exitCode = exitCodes.USAGE;
      return;
    }
    const progress = createProgress({ stream: process.stderr, color: !process.env.NO_COLOR });
    const engineContext = (command.parent?.opts() as { context?: string } | undefined)?.context;
    const ctx: CommandContext = {
      cwd: process.cwd(),
      env: process.env,
      json,
      progress,
      signal: interrupt.signal,
      output: (line) => writeStdout(`${line}\n`),
      ...(engineContext !== undefined && { engineContext }),
    };
    try {
      // A command that waits on something that can never finish ends as an error, not as
      // Node's silent exit 13 (see unless-stalled.ts).
      const result = await unlessStalled(fn(ctx, options as never, command.args), stalledCommand, {
        last: true,
      });
      progress.stop();
      printResult(result, json);
      process.exitCode = result.exitCode ?? 0;
    } catch (err) {
      progress.stop();
      // A hint that spells out a command repeats the stack and project the user chose.
      const error = qualifyError(toEstepsError(err), options as StackChoiceArgs);
      printError(error, json);
      process.exitCode = error.exitCode;
    }
    // Interrupted (Ctrl-C, or stdout closed) and done cleaning up: end now, even when something
    // the command ran (a stack's own smoke check, say) still holds a timer or a socket.
    if (interrupt.signal.aborted) process.exit();
    // Done: what the command abandoned (a smoke check past its timeout) does not keep it alive.
    setTimeout(() => process.exit(), 500).unref();
  };

function stalledCommand(): EstepsError {
  return new EstepsError(
    'INTERNAL',
    'The command stopped making progress: it waits on something that can never finish.',
    {
      hint: 'This is a bug in esteps or in code of the stack it ran; rerun with ESTEPS_DEBUG=1 and report it.',
    },
  );
}

/**
 * The first option given with an empty value (`-p "$UNSET"`), before the command or after it:
 * an empty value is a mistake, never a way to ask for the default.
 */
function emptyOption(command: Command): string | undefined {
  for (const cmd of [command.parent, command]) {
    if (!cmd) continue;
    const values = cmd.opts();
    const given = cmd.options.find((o) => values[o.attributeName()] === '');
    if (given) return [given.short, given.long].filter(Boolean).join('/');
  }
  return undefined;
}

/** The command's options that were given or have a default (not the undefined ones). */
function definedOptions(command: Command): Record<string, unknown> {
  return Object.fromEntries(Object.entries(command.opts()).filter(([, v]) => v !== undefined));
}

function printResult(result: CommandResult, json: boolean): void {
  if (json) {
    writeStdout(`${JSON.stringify({ ok: true, ...result.data }, null, 2)}\n`);
  } else if (result.text) {
    writeStdout(`${result.text}\n`);
  }
}

function printError(raw: EstepsError, json: boolean): void {
  // Terminal escapes a builder or a container wrote (colours, cursor moves) are no text: never
  // in JSON, and on stderr only for a terminal that takes colour.
  const plain = stripEscapes(raw);
  if (json) {
    const body = {
      ok: false,
      error: { code: plain.code, message: plain.message, hint: plain.hint, ...plain.details },
    };
    writeStdout(`${JSON.stringify(body, null, 2)}\n`);
  }
  const error = process.env.NO_COLOR || !process.stderr.isTTY ? plain : raw;
  const lines = [`esteps: ${error.message}`];
  const output = error.details?.output;
  if (typeof output === 'string' && output.trim()) lines.push(indent(output.trimEnd()));
  if (error.hint) lines.push(`hint: ${error.hint}`);
  if (process.env.ESTEPS_DEBUG && error.cause instanceof Error && error.cause.stack) {
    lines.push(error.cause.stack);
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}

function stripEscapes(error: EstepsError): EstepsError {
  const strip = (value: unknown): unknown =>
    typeof value === 'string'
      ? stripVTControlCharacters(value)
      : Array.isArray(value)
        ? value.map(strip)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v)]))
          : value;
  return new EstepsError(error.code, stripVTControlCharacters(error.message), {
    ...(error.hint && { hint: stripVTControlCharacters(error.hint) }),
    ...(error.details && { details: strip(error.details) as Record<string, unknown> }),
    cause: error.cause,
  });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  | ${l}`)
    .join('\n');
}

/** With --json anywhere, a usage error is one JSON document too (printed in the catch below). */
const jsonRequested = process.argv.slice(2).includes('--json');

const program = new Command()
  .name('esteps')
  .description('Typed multi-container stacks on Docker, with a fast dev loop.')
  .version(packageVersion(), '-V, --version')
  .showHelpAfterError('(run esteps --help for usage)')
  .configureOutput({
    // Commander's own error lines go to stderr as usual; with --json the catch prints them.
    outputError: (text, write) => {
      if (!jsonRequested) write(text);
    },
  })
  .exitOverride();
withGlobalProjectOptions(program);

for (const register of commands) register(program, run);

// Not a top-level await: a process whose top-level await never settles ends with exit code 13,
// which is SECRET_MISMATCH's.
program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander, but not with
    // --json: then stdout carries the one JSON document and stderr the same sentence.
    if (err.exitCode !== 0 && jsonRequested) {
      const message = err.message.replace(/^error: /, '');
      printError(
        new EstepsError('USAGE', `${message.charAt(0).toUpperCase()}${message.slice(1)}.`, {
          hint: 'Run esteps --help for usage.',
          details: { commanderCode: err.code },
        }),
        true,
      );
    }
    process.exitCode = err.exitCode === 0 ? exitCodes.OK : exitCodes.USAGE;
  } else {
    const error = toEstepsError(err);
    printError(error, process.argv.includes('--json'));
    process.exitCode = error.exitCode;
  }
});
