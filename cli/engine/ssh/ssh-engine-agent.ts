import { Agent } from 'node:http';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2, { type Client, type ClientChannel } from 'ssh2';
import { dialEngine, isChannelRefused } from './engine-channel.js';
import {
  checkHostKey,
  type HostKeyVerdict,
  type KnownHostKey,
  keyBlobType,
  preferredHostKeyAlgorithms,
} from './known-hosts.js';
import { authMethods, type SshCredentials } from './ssh-credentials.js';
import { sshHandshakeError } from './ssh-errors.js';
import { SshLink } from './ssh-link.js';

/** Where the engine's host is, and as whom esteps logs in. */
export interface SshEngineTarget {
  readonly hostname: string;
  readonly port: number;
  readonly user: string;
  /** `ssh://user@host:port`, for messages. */
  readonly address: string;
}

export interface SshEngineAgentOptions {
  readonly target: SshEngineTarget;
  readonly credentials: SshCredentials;
  /** The known_hosts keys for the host, and the files they were looked up in. */
  readonly knownKeys: readonly KnownHostKey[];
  readonly knownHostsFiles: readonly string[];
  /** How long a handshake may take. */
  readonly readyTimeoutMs: number;
}

/**
 * An HTTP agent that carries every engine request of a command over one SSH connection:
 * each HTTP connection is a channel of that connection to the engine's socket on the far side
 * (engine-channel.ts), kept alive and reused like a socket. docker-modem's own SSH agent makes a new agent, and so
 * a new SSH handshake, for every request (docker-modem lib/modem.js buildRequest), and checks
 * no host key. Host keys are checked against known_hosts (an unknown or changed key is refused,
 * never accepted); the SSH socket is unreferenced while no request is in flight, so a finished
 * command exits without closing it by hand.
 */
export class SshEngineAgent extends Agent {
  /** SSH handshakes completed: one per command unless more than 10 streams run at once. */
  handshakes = 0;
  private readonly links: SshLink[] = [];

  constructor(private readonly options: SshEngineAgentOptions) {
    super({ keepAlive: true });
  }

  override createConnection(
    _options: unknown,
    callback: (err: Error | null, socket?: Duplex) => void,
  ): undefined {
    this.openChannel().then(
      (channel) => callback(null, channel as unknown as Duplex),
      (err: Error) => callback(err),
    );
    return undefined;
  }

  override destroy(): void {
    super.destroy();
    for (const link of this.links.splice(0)) link.client.end();
  }

  private async openChannel(): Promise<ClientChannel> {
    for (;;) {
      const link = this.links.find((l) => !l.closed && l.channels < l.limit) ?? this.openLink();
      link.channels++;
      link.ref();
      try {
        await link.ready;
        return await dialEngine(link);
      } catch (err) {
        link.channels--;
        link.unref();
        // The server allows fewer sessions than OpenSSH's default: use another connection.
        if (isChannelRefused(err) && link.channels > 0) {
          link.limit = link.channels;
          continue;
        }
        throw err;
      }
    }
  }

  private openLink(): SshLink {
    const { target, credentials, knownKeys, readyTimeoutMs } = this.options;
    const socket = netConnect(target.port, target.hostname);
    // Each step of the handshake and each request is a small write that waits for an answer:
    // with Nagle's algorithm on, one waited for the far side's delayed ACK (40 ms) each time.
    socket.setNoDelay(true);
    const client = new ssh2.Client();
    let refused: { verdict: HostKeyVerdict; key: Buffer } | undefined;
    const link = new SshLink(client, socket);
    this.links.push(link);
    link.ready = new Promise<void>((resolve, reject) => {
      client.once('ready', () => {
        this.handshakes++;
        resolve();
      });
      client.on('error', (err) => {
        link.closed = true;
        reject(sshHandshakeError(err, { ...this.options, refused }));
      });
      client.once('close', () => {
        link.closed = true;
        reject(new Error(`the SSH connection to ${target.address} closed`));
      });
    });
    link.ready.catch(() => undefined); // awaited by openChannel
    const preferred = preferredHostKeyAlgorithms(knownKeys).filter((a) => supportedHostKeys.has(a));
    client.connect({
      sock: socket,
      username: target.user,
      authHandler: authMethods(credentials, target.user),
      readyTimeout: readyTimeoutMs,
      ...(preferred.length > 0 && { algorithms: { serverHostKey: { prepend: preferred } } }),
      hostVerifier: (key: Buffer) => {
        const verdict = checkHostKey(knownKeys, keyBlobType(key), key);
        if (verdict.kind === 'known') return true;
        refused = { verdict, key };
        return false;
      },
    } as Parameters<Client['connect']>[0]);
    return link;
  }
}

/** ssh2's host key algorithms (lib/protocol/constants.js SUPPORTED_SERVER_HOST_KEY). */
const supportedHostKeys = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
]);
