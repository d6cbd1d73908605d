import type Docker from 'dockerode';

/**
 * True when `docker` talks to its engine over a unix socket of this machine: only then may
 * esteps look at this machine's files for the engine's (and even then only as a shortcut
 * that a check confirms, secrets/local-volume-read.ts). TCP, TLS and SSH engines are remote,
 * whatever their address: a `tcp://127.0.0.1` port may be a tunnel to another machine.
 */
export function isLocalEngine(docker: Docker): boolean {
  const modem = docker.modem as unknown as { socketPath?: unknown; host?: unknown };
  return Boolean(modem.socketPath) && !modem.host;
}
