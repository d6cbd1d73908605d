import type { Command } from 'commander';

/** Options every project command takes: --stack, -p/--project, --json. */
export interface ProjectOptions {
  readonly stack?: string;
  readonly project?: string;
  readonly json?: boolean;
}

export function withProjectOptions(command: Command): Command {
  return command
    .option('--stack <name>', 'stack definition', 'step1')
    .option('-p, --project <name>', 'project name (default: ESTEPS_PROJECT or the stack name)')
    .option('--json', 'print one JSON document on stdout');
}
