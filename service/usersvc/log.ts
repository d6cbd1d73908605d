/**
 * One JSON object per line on stdout. Callers pass only what is safe to show: never a
 * request body, a password or a hash.
 */
export function log(level: 'info' | 'warn' | 'error', msg: string, fields: object = {}): void {
  const line = JSON.stringify({
    time: new Date().toISOString(),
    level,
    pid: process.pid,
    msg,
    ...fields,
  });
  process.stdout.write(`${line}\n`);
}

/** The parts of an error worth logging: its code and message, no stack of library internals. */
export function describeError(err: unknown): { error: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? { error: err.message, code } : { error: err.message };
  }
  return { error: String(err) };
}
