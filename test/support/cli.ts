import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from './engine.js';

/** The built CLI, as `npx esteps` runs it. */
export const cliPath = join(repoRoot, 'dist/esteps.js');

export interface CliRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed, when it was one JSON document ({} otherwise). */
  readonly json: Record<string, unknown>;
  /** From the command's first output on stdout (its result) to its exit. */
  readonly exitLagMs?: number;
}

export interface CliRunOptions {
  /** @default the repository root (whose `.env` names the images setup prepared) */
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  /** @default 600000 */
  readonly timeoutMs?: number;
  /**
   * How long the command may take to exit once it has printed on stdout (its result, with
   * --json): past that it is ended, so a command that finished its work but does not exit
   * fails its test in seconds, with `exitLagMs` telling. @default no bound but timeoutMs
   */
  readonly exitWithinMs?: number;
}

/** `node dist/esteps.js ...args`, never throwing: tests assert on exit code and output. */
export async function runCli(
  args: readonly string[],
  options: CliRunOptions = {},
): Promise<CliRun> {
  const child = execa('node', [cliPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { NO_COLOR: '1', ...options.env },
    reject: false,
    timeout: options.timeoutMs ?? 600_000,
  });
  let printedAt: number | undefined;
  let bound: NodeJS.Timeout | undefined;
  child.stdout.once('data', () => {
    printedAt = performance.now();
    if (options.exitWithinMs) bound = setTimeout(() => child.kill(), options.exitWithinMs);
  });
  const result = await child;
  clearTimeout(bound);
  const exitLagMs = printedAt === undefined ? undefined : performance.now() - printedAt;
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    // Not a --json run.
  }
  return {
    exitCode: result.exitCode ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    json,
    ...(exitLagMs !== undefined && { exitLagMs }),
  };
}
