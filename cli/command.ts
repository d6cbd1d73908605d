import type { Command } from 'commander';
import type { OperationContext } from './operations/context.js';

/** What every command gets from the entry point: the operations' context, and the output mode. */
export interface CommandContext extends OperationContext {
  /** True with `--json`: stdout must then carry exactly one JSON document. */
  readonly json: boolean;
}

/**
 * What a command returns; `cli/main.ts` prints it. `data` becomes `{"ok": true, ...data}` with
 * `--json`; `text` is printed otherwise. A non-zero `exitCode` without an error is for
 * results that are data yet mean failure (none so far: failures throw EstepsError).
 */
export interface CommandResult {
  readonly data: object;
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
