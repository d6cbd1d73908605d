import { EstepsError } from '../errors.js';

/** What dockerode throws for a non-2xx answer. */
interface DockerodeError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

/** The engine's own message out of a dockerode error. */
export function engineMessage(err: unknown): string {
  const e = err as DockerodeError;
  const fromJson = e?.json?.message;
  if (typeof fromJson === 'string' && fromJson) return fromJson;
  return err instanceof Error ? err.message : String(err);
}

export function statusCode(err: unknown): number | undefined {
  return (err as DockerodeError)?.statusCode;
}

/** True for "no such container/network/volume" (404) and "already in that state" (304). */
export function isGoneOrUnchanged(err: unknown): boolean {
  const code = statusCode(err);
  return code === 404 || code === 304;
}

/** Host port already taken, as the engine reports it when starting a container. */
export function portInUse(err: unknown): { hostIp?: string; hostPort?: number } | undefined {
  const message = engineMessage(err);
  if (!/port is already allocated|address already in use/i.test(message)) return undefined;
  const m = /(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]):(\d+)/i.exec(message);
  return m ? { hostIp: m[1]!, hostPort: Number(m[2]) } : {};
}

/** Wraps an engine error raised while starting `container` into PORT_IN_USE or START_FAILED. */
export function startFailed(
  container: string,
  err: unknown,
  /** The next step for a port in use, naming the stack's variable (stack-hints.ts). */
  portHint?: (hostPort: number | undefined) => string,
): EstepsError {
  const port = portInUse(err);
  if (port) {
    const where = port.hostPort ? `${port.hostIp}:${port.hostPort}` : 'its host port';
    return new EstepsError(
      'PORT_IN_USE',
      `Container ${container} cannot publish ${where}: the port is already in use.`,
      {
        hint:
          portHint?.(port.hostPort) ??
          'Stop whatever holds the port, or publish the service on another one (0 lets the engine choose).',
        cause: err,
        details: { container, ...port },
      },
    );
  }
  return new EstepsError(
    'START_FAILED',
    `Container ${container} did not start: ${engineMessage(err)}.`,
    {
      hint: 'Check the service configuration (esteps render shows it), then run esteps up again.',
      cause: err,
      details: { container },
    },
  );
}
