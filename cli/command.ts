import type { Command } from 'commander';
import type { Progress } from './ui/progress.js';

/** What every command gets from the entry point: no globals, no direct process access. */
export interface CommandContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** True with `--json`: stdout must then carry exactly one JSON document. */
  readonly json: boolean;
  /** Progress goes to stderr. */
  readonly progress: Progress;
  /** Aborted on Ctrl-C: long operations stop at their next safe point. */
  readonly signal: AbortSignal;
}

/**
 * What a command returns; `cli/main.ts` prints it. `data` becomes `{"ok": true, ...data}` with
 * `--json`; `text` is printed otherwise. A non-zero `exitCode` without an error is for
 * results that are data yet mean failure (none so far: failures throw EstepsError).
 */
export interface CommandResult {
  readonly data: Record<string, unknown>;
  readonly text?: string;
  /** Streaming commands (logs -f, watch) print as they go and return no text. */
  readonly exitCode?: number;
}

/** Wraps a command's typed function into a commander action; supplied by cli/main.ts. */
export type RunAction = <O>(
  fn: (ctx: CommandContext, options: O, args: string[]) => Promise<CommandResult>,
) => (...commanderArgs: unknown[]) => Promise<void>;

/** Every command module exports one of these. */
export type RegisterCommand = (program: Command, run: RunAction) => void;

/**
 * Two independent reads started together (the project and the engine: asking the engine its
 * version changes nothing), awaited as if one came after the other: when both fail, the
 * first one's error is reported.
 */
export async function bothInOrder<A, B>(first: Promise<A>, second: Promise<B>): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled([first, second]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  return [a.value, b.value];
}
