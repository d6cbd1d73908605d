import { createHash } from 'node:crypto';
import { EstepsError } from '../../errors.js';
import { type HostKeyVerdict, keyBlobType, knownHostName } from './known-hosts.js';
import type { SshCredentials } from './ssh-credentials.js';

interface HandshakeContext {
  readonly target: {
    readonly hostname: string;
    readonly port: number;
    readonly user: string;
    readonly address: string;
  };
  readonly credentials: SshCredentials;
  readonly knownHostsFiles: readonly string[];
  /** Set when the host key was refused, with why. */
  readonly refused: { readonly verdict: HostKeyVerdict; readonly key: Buffer } | undefined;
}

/** OpenSSH's fingerprint of a key blob: `SHA256:` and unpadded base64. */
export function keyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/**
 * What went wrong in an SSH handshake, each its own message: a host key esteps cannot trust
 * (ENGINE_UNTRUSTED), keys the server refused (ENGINE_AUTH_FAILED), a handshake that did not
 * finish in time. Anything else (connection refused, no route, name not found) is passed on
 * for connectEngine to report as ENGINE_UNAVAILABLE.
 */
export function sshHandshakeError(err: Error, context: HandshakeContext): Error {
  const { target, refused, credentials } = context;
  const level = (err as { level?: string }).level;
  if (refused) return hostKeyError(context, refused.verdict, refused.key, err);
  if (level === 'client-authentication') {
    return new EstepsError(
      'ENGINE_AUTH_FAILED',
      `The SSH server at ${target.address} refused user ${target.user} with every key esteps offered: ${credentials.offered}.`,
      {
        hint: `Add your public key to ~${target.user}/.ssh/authorized_keys on the engine's host, or load the key it accepts into your agent (ssh-add), then retry.`,
        cause: err,
      },
    );
  }
  if (level === 'client-timeout') {
    return new EstepsError(
      'ENGINE_UNAVAILABLE',
      `The SSH server at ${target.address} did not finish its handshake in time (${err.message}).`,
      {
        hint: `Check that ssh -p ${target.port} ${target.user}@${target.hostname} works from here, then retry.`,
        cause: err,
      },
    );
  }
  return err;
}

function hostKeyError(
  context: HandshakeContext,
  verdict: HostKeyVerdict,
  key: Buffer,
  cause: Error,
): EstepsError {
  const { target, knownHostsFiles } = context;
  const name = knownHostName(target.hostname, target.port);
  const fingerprint = `${keyBlobType(key)} ${keyFingerprint(key)}`;
  const scan = `ssh-keyscan${target.port === 22 ? '' : ` -p ${target.port}`} ${target.hostname} >> ${knownHostsFiles[0]}`;
  if (verdict.kind === 'unknown') {
    return new EstepsError(
      'ENGINE_UNTRUSTED',
      `The SSH host ${name} (${target.address}) is not in known_hosts (${knownHostsFiles.join(', ')}): esteps does not connect to a host it cannot verify; its key is ${fingerprint}.`,
      {
        hint: `Check that fingerprint with the host's owner, then add the key (${scan}, or connect once with ssh and accept it), and retry.`,
        cause,
        details: { host: name, fingerprint },
      },
    );
  }
  const what = verdict.kind === 'revoked' ? 'is marked @revoked' : 'does not match the one known';
  return new EstepsError(
    'ENGINE_UNTRUSTED',
    `The SSH host key of ${name} (${fingerprint}) ${what} at ${verdict.where}: the host changed its key, or something is in between.`,
    {
      hint:
        verdict.kind === 'revoked'
          ? "Do not connect: ask the host's owner for its current key."
          : `If the host was reinstalled, remove the old key (ssh-keygen -R '${name}'), add the new one after checking it with the host's owner, and retry; otherwise do not connect.`,
      cause,
      details: { host: name, fingerprint, knownAt: verdict.where },
    },
  );
}
