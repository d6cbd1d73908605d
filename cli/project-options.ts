import type { Command } from 'commander';
import {
  builtInStacks,
  defaultStackFile,
  defaultStackName,
} from '../stacks/builtin/built-in-stacks.js';
import type { CommandContext } from './command.js';
import { EstepsError } from './errors.js';
import { loadProject, type Project, type StackChoice } from './project/load-project.js';

/** Options every project command takes: -f/--file, --stack, -p/--project, --json. */
export interface ProjectOptions {
  readonly file?: string;
  readonly stack?: string;
  readonly project?: string;
  readonly json?: boolean;
}

const fileHelp = `stack file (or a folder holding ${defaultStackFile}); default: ./${defaultStackFile}, else --stack`;

/**
 * The options esteps takes before the command, compose-style (`esteps -f FILE up`): with
 * positional options on, `esteps logs -f` still means follow, as in docker compose.
 */
export function withGlobalProjectOptions(program: Command): Command {
  return program
    .enablePositionalOptions()
    .option('-f, --file <path>', fileHelp)
    .option('-p, --project <name>', 'project name (default: ESTEPS_PROJECT or the stack name)');
}

/**
 * Declares -f/--file (`--file` alone with `shortFile: false`: logs' -f follows), --stack and
 * -p/--project, and --json with `json` as its help text (`false` for commands whose output
 * is a stream, not one document: watch).
 */
export function withProjectOptions(
  command: Command,
  json: string | false = 'print one JSON document on stdout',
  shortFile = true,
): Command {
  command
    .option(shortFile ? '-f, --file <path>' : '--file <path>', fileHelp)
    .option(
      '--stack <name>',
      `a stack that ships with esteps: ${Object.keys(builtInStacks).join(', ')} (default: ${defaultStackName})`,
    )
    .option('-p, --project <name>', 'project name (default: ESTEPS_PROJECT or the stack name)');
  return json === false ? command : command.option('--json', json);
}

/** The stack the options choose; an empty value (`-f "$UNSET"`) is refused, never a default. */
export function stackChoice(options: ProjectOptions): StackChoice {
  for (const [flag, value] of [
    ['-f', options.file],
    ['--stack', options.stack],
  ] as const) {
    if (value === '') {
      throw new EstepsError('USAGE', `The value given with ${flag} is empty.`, {
        hint: `Give a value, or leave ${flag} out.`,
      });
    }
  }
  return {
    ...(options.file !== undefined && { file: options.file }),
    ...(options.stack !== undefined && { stack: options.stack }),
  };
}

/** The project a read-only command works on (down, ps, logs, smoke, hotpatch). */
export function readProject(ctx: CommandContext, options: ProjectOptions): Promise<Project> {
  return loadProject({
    cwd: ctx.cwd,
    env: ctx.env,
    ...stackChoice(options),
    ...(options.project !== undefined && { project: options.project }),
  });
}
