import type { Command } from 'commander';
import { defaultStackName } from '../stacks/index.js';
import type { CommandContext } from './command.js';
import { loadProject, type Project } from './project/load-project.js';

/** Options every project command takes: --stack, -p/--project, --json. */
export interface ProjectOptions {
  readonly stack?: string;
  readonly project?: string;
  readonly json?: boolean;
}

/**
 * Declares --stack and -p/--project, and --json with `json` as its help text (`false` for
 * commands whose output is a stream, not one document: logs -f, watch).
 */
export function withProjectOptions(
  command: Command,
  json: string | false = 'print one JSON document on stdout',
): Command {
  command
    .option('--stack <name>', 'stack definition', defaultStackName)
    .option('-p, --project <name>', 'project name (default: ESTEPS_PROJECT or the stack name)');
  return json === false ? command : command.option('--json', json);
}

/**
 * The project a read-only command works on (down, ps, logs, smoke, hotpatch): secrets are
 * redacted, never created, so these commands cannot reveal or invent a password.
 */
export function readProject(ctx: CommandContext, options: ProjectOptions): Promise<Project> {
  return loadProject({
    cwd: ctx.cwd,
    env: ctx.env,
    stack: options.stack,
    project: options.project,
    secrets: 'redact',
  });
}
