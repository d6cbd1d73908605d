import type { Command } from 'commander';
import {
  builtInStacks,
  defaultStackFile,
  defaultStackName,
} from '../../stacks/builtin/built-in-stacks.js';
import type { ProjectInput } from '../operations/project-input.js';

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
    .option('-p, --project <name>', 'project name (default: ESTEPS_PROJECT or the stack name)')
    .option(
      '--context <name>',
      'the docker context whose engine to use (default: DOCKER_HOST, DOCKER_CONTEXT, the current context, the default socket)',
    );
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

/** The options of a command that can run on a Swarm too (`--swarm`). */
export interface TargetOptions {
  /** The Swarm the engine is a manager of, instead of the engine itself. @default false */
  readonly swarm?: boolean;
}

/**
 * The operation's input the options choose: the stack, the project, and the target (the one
 * place that reads `--swarm`).
 */
export function projectInput(options: ProjectOptions & TargetOptions): ProjectInput {
  return {
    ...(options.file !== undefined && { file: options.file }),
    ...(options.stack !== undefined && { stack: options.stack }),
    ...(options.project !== undefined && { project: options.project }),
    target: options.swarm ? 'swarm' : 'engine',
  };
}

/** Declares `--swarm` with what it means for this command. */
export function withTargetOption(command: Command, help: string): Command {
  return command.option('--swarm', help);
}
