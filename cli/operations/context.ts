import type { Progress } from '../ui/progress.js';

/**
 * What every operation gets from its caller (the CLI's entry point, or a test through the
 * programmatic API): the working directory, the environment, where progress and streamed
 * lines go, and the signal that interrupts. Nothing below the operations reads
 * `process.cwd()`, `process.env` or writes to `process.stdout` itself.
 */
export interface OperationContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Progress of long steps (the CLI: stderr). */
  readonly progress: Progress;
  /** Aborted on Ctrl-C: long operations stop at their next safe point. */
  readonly signal: AbortSignal;
  /** Lines a streaming operation (`logs -f`, `watch`) emits as they happen (the CLI: stdout). */
  readonly output: (line: string) => void;
  /** `--context NAME`: the docker context whose engine to use. @default as the docker CLI chooses */
  readonly engineContext?: string;
}
