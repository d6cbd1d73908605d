/**
 * The one error type esteps shows to users. Every failure a user can meet is an EstepsError
 * with a stable `code` (tests and `--json` readers match on it, never on text), a one-sentence
 * `message`, a `hint` with the next step, and the process exit code. Wrap dockerode, pg and
 * undici errors once, at their boundary, passing the original as `cause`.
 */
export const exitCodes = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  CONFIG_INVALID: 3,
  STACK_INVALID: 3,
  STACK_LOAD_FAILED: 3,
  ENVOY_CONFIG_INVALID: 3,
  ENGINE_UNAVAILABLE: 4,
  IMAGE_MISSING: 5,
  BUILD_FAILED: 5,
  PORT_IN_USE: 6,
  START_FAILED: 6,
  CONTAINER_EXITED: 6,
  HEALTH_TIMEOUT: 7,
  SMOKE_FAILED: 8,
  HOTPATCH_FAILED: 9,
  NOT_RUNNING: 10,
  LOCKED: 11,
  ENVOY_MISSING: 12,
  SECRET_MISMATCH: 13,
  WRITE_FAILED: 14,
  NAME_CONFLICT: 15,
  SWARM_UNAVAILABLE: 16,
  PUSH_FAILED: 17,
  ROLLED_BACK: 18,
  ENGINE_UNTRUSTED: 19,
  ENGINE_AUTH_FAILED: 20,
  NOT_REACHABLE: 21,
  INTERRUPTED: 130,
} as const;

export type ErrorCode = Exclude<keyof typeof exitCodes, 'OK'>;

export interface EstepsErrorOptions {
  /** The next step for the user, one sentence. */
  hint?: string;
  cause?: unknown;
  /** Extra structured data for `--json` output (e.g. failing checks, log tail). */
  details?: Record<string, unknown>;
}

export class EstepsError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: EstepsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EstepsError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get exitCode(): number {
    return exitCodes[this.code];
  }
}

/** Anything shaped like an esteps error (stacks/ defines its own without importing cli/). */
interface CodedError {
  code: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

function isCodedError(err: unknown): err is CodedError {
  return (
    err instanceof Error &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (err as unknown as { code: string }).code in exitCodes
  );
}

/** Turns whatever was thrown into an EstepsError, keeping codes that are already ours. */
export function toEstepsError(err: unknown): EstepsError {
  if (err instanceof EstepsError) return err;
  if (isCodedError(err)) {
    return new EstepsError(err.code as ErrorCode, err.message, {
      hint: err.hint,
      details: err.details,
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new EstepsError('INTERNAL', `Unexpected error: ${message}`, {
    hint: 'This is a bug in esteps; rerun with ESTEPS_DEBUG=1 for the stack trace and report it.',
    cause: err,
  });
}

/**
 * Rethrows `err` with `message` and `hint` when it is an esteps error of `code`: the command
 * that ran knows what the interruption left and what to do next; lower layers do not.
 */
export function explainError(
  err: unknown,
  code: ErrorCode,
  explained: { message: string; hint: string },
): never {
  if (err instanceof EstepsError && err.code === code) {
    throw new EstepsError(code, explained.message, {
      hint: explained.hint,
      cause: err,
      ...(err.details && { details: err.details }),
    });
  }
  throw err;
}
