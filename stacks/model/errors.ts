/**
 * Errors of the stacks/ layer. They carry the same shape as cli/errors.ts's EstepsError (a
 * stable `code`, a `message`, a `hint`, `details`) without importing it: stacks/ imports
 * nothing of ours, and cli/main.ts turns any error with a known code into an EstepsError.
 */

/** One problem found in a stack definition, with its path (`services.usersvc.dependsOn[0]`). */
export interface StackProblem {
  readonly path: string;
  readonly message: string;
}

/** Thrown by `defineStack()` with every problem it found, never only the first. */
export class StackInvalidError extends Error {
  readonly code = 'STACK_INVALID';
  readonly hint: string;
  readonly problems: readonly StackProblem[];
  readonly details: Record<string, unknown>;

  constructor(
    stackName: string,
    problems: readonly StackProblem[],
    /** The stack file, when known: named in the message instead of the stack. */
    where: { readonly file?: string; readonly hint?: string } = {},
  ) {
    const what = where.file ? `The stack in ${where.file}` : `Stack "${stackName}"`;
    super(
      `${what} is invalid (${plural(problems.length, 'problem')}):\n${problems
        .map((p) => `  ${p.path}: ${p.message}`)
        .join('\n')}`,
    );
    this.name = 'StackInvalidError';
    this.problems = problems;
    this.hint = where.hint ?? 'Fix the stack definition at the paths listed above.';
    this.details = { ...(where.file && { file: where.file }), problems };
  }
}

/** One problem in configuration read from a file or the environment (`.env`, secrets file). */
export interface ConfigProblem {
  /** 1-based line number in the file, when the problem is on a line. */
  readonly line?: number;
  readonly key?: string;
  readonly message: string;
}

/** Configuration (`.env`, the environment, a secrets file) that esteps cannot use. */
export class ConfigInvalidError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly hint: string;
  readonly problems: readonly ConfigProblem[];
  readonly details: Record<string, unknown>;

  constructor(source: string, problems: readonly ConfigProblem[], hint?: string) {
    super(
      `${source} is invalid (${plural(problems.length, 'problem')}):\n${problems
        .map((p) =>
          p.line === undefined ? `  ${p.message}` : `  ${source}:${p.line}: ${p.message}`,
        )
        .join('\n')}`,
    );
    this.name = 'ConfigInvalidError';
    this.problems = problems;
    this.hint = hint ?? `Fix ${source} at the lines listed above.`;
    this.details = { source, problems };
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
