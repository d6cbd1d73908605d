import type { Command } from 'commander';
import type { CommandContext, CommandResult, RegisterCommand } from '../command.js';
import { EstepsError } from '../errors.js';
import type { EnvoyCheckFile, EnvoyCheckIssue } from '../operations/envoy-check.js';

export interface EnvoyCheckOptions {
  readonly json?: boolean;
  /** Also apply esteps' policy for the configurations it generates. @default false */
  readonly policy?: boolean;
}

/**
 * `esteps envoy check FILE...`: every file checked as Envoy would load it. Exit 0 when no file
 * has an error (warnings are shown, never fatal), else ENVOY_CONFIG_INVALID (exit 3) with every
 * problem. The checker (Envoy's API) loads only here, on first use.
 */
export async function envoyCheck(
  ctx: CommandContext,
  options: EnvoyCheckOptions,
  files: string[],
): Promise<CommandResult> {
  const { checkEnvoyFiles } = await import('../operations/envoy-check.js');
  const outcome = await checkEnvoyFiles({ files, cwd: ctx.cwd, policy: options.policy === true });
  const text = outcome.files.map(formatFile).join('\n');
  if (outcome.ok) return { data: { files: outcome.files }, text };
  const failed = outcome.files.filter((f) => f.errors.length > 0);
  const errors = failed.reduce((n, f) => n + f.errors.length, 0);
  throw new EstepsError(
    'ENVOY_CONFIG_INVALID',
    `Envoy would refuse ${failed.length === 1 ? failed[0]!.file : `${failed.length} of ${outcome.files.length} files`} (${plural(errors, 'error')}).`,
    {
      hint: 'Fix each problem at its path (the line is the YAML line it starts on); warnings are what Envoy runs but logs.',
      details: { files: outcome.files, output: text },
    },
  );
}

function formatFile(file: EnvoyCheckFile): string {
  const counts = [plural(file.errors.length, 'error'), plural(file.warnings.length, 'warning')];
  const head = `${file.file}: ${file.errors.length + file.warnings.length === 0 ? 'OK' : counts.join(', ')}${file.kind === 'resources' ? ' (xDS resources)' : ''}`;
  const lines = [
    ...file.errors.map((i) => formatIssue('error  ', i)),
    ...file.warnings.map((i) => formatIssue('warning', i)),
  ];
  return [head, ...lines].join('\n');
}

function formatIssue(kind: string, issue: EnvoyCheckIssue): string {
  const where = `${issue.path || '(file)'}${issue.line === undefined ? '' : ` (line ${issue.line})`}`;
  return `  ${kind} ${where}: ${issue.message}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const registerEnvoy: RegisterCommand = (program: Command, run) => {
  const envoy = program
    .command('envoy')
    .description('Work with Envoy configurations, without Envoy');
  envoy
    .command('check')
    .description(
      "Check Envoy configuration files (YAML or JSON) against Envoy's v3 API and its start-up checks",
    )
    .argument('<files...>', 'Envoy bootstrap (or xDS resource) files')
    .option('--json', 'print the result as JSON')
    .option(
      '--policy',
      "also apply esteps' policy for the configurations it generates (admin interface on loopback only)",
    )
    .action(run<EnvoyCheckOptions>(envoyCheck));
};
