import { join } from 'node:path';
import ssh2, { type AnyAuthMethod } from 'ssh2';
import type { EndpointFiles } from '../endpoint/endpoint-files.js';

/** What esteps offers an SSH server, in OpenSSH's order: the agent's keys, then key files. */
export interface SshCredentials {
  /** SSH_AUTH_SOCK, when set. */
  readonly agent?: string;
  readonly keys: readonly { readonly path: string; readonly key: Buffer }[];
  /** Key files there that esteps cannot use (encrypted: only the agent can hold them). */
  readonly unusable: readonly string[];
  /** Every place looked at, for the message when the server refuses them all. */
  readonly offered: string;
}

/** OpenSSH's default identities that ssh2 can use (no DSA, no security keys). */
const keyFiles = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** The agent (SSH_AUTH_SOCK) and the default key files of `~/.ssh`. */
export async function readSshCredentials(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
  files: EndpointFiles,
): Promise<SshCredentials> {
  const keys: { path: string; key: Buffer }[] = [];
  const unusable: string[] = [];
  for (const name of keyFiles) {
    const path = join(home, '.ssh', name);
    const key = await files.readFile(path);
    if (!key) continue;
    if (ssh2.utils.parseKey(key) instanceof Error) unusable.push(path);
    else keys.push({ path, key });
  }
  const places = [
    env.SSH_AUTH_SOCK ? `the agent at SSH_AUTH_SOCK` : 'no agent (SSH_AUTH_SOCK not set)',
    ...keys.map((k) => k.path),
    ...unusable.map((p) => `${p} (encrypted: add it to the agent with ssh-add)`),
  ];
  return {
    ...(env.SSH_AUTH_SOCK && { agent: env.SSH_AUTH_SOCK }),
    keys,
    unusable,
    offered:
      keys.length === 0 && unusable.length === 0
        ? `${places[0]}, no key in ${join(home, '.ssh')} (${keyFiles.join(', ')})`
        : places.join(', '),
  };
}

/** ssh2's authentication methods for `credentials`, tried in turn. */
export function authMethods(credentials: SshCredentials, username: string): AnyAuthMethod[] {
  return [
    ...(credentials.agent ? [{ type: 'agent' as const, username, agent: credentials.agent }] : []),
    ...credentials.keys.map((k) => ({ type: 'publickey' as const, username, key: k.key })),
  ];
}

/** The known_hosts files OpenSSH reads: the user's, then the system's. */
export function knownHostsFiles(home: string): string[] {
  return [
    join(home, '.ssh', 'known_hosts'),
    join(home, '.ssh', 'known_hosts2'),
    '/etc/ssh/ssh_known_hosts',
    '/etc/ssh/ssh_known_hosts2',
  ];
}
