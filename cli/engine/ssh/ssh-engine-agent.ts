import { Agent } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2, { type Client, type ClientChannel } from 'ssh2';
import {
  checkHostKey,
  type HostKeyVerdict,
  type KnownHostKey,
  keyBlobType,
  preferredHostKeyAlgorithms,
} from './known-hosts.js';
import { authMethods, type SshCredentials } from './ssh-credentials.js';
import { sshHandshakeError } from './ssh-errors.js';

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
 * OpenSSH's default MaxSessions: channels one SSH connection carries at once. Past it (many
 * log streams at once, say) the agent opens another connection rather than queueing a request
 * behind a stream that never ends.
 */
const channelsPerConnection = 10;

/** What the far side runs for each HTTP connection, as the docker CLI and docker-modem do. */
const dialCommand = 'docker system dial-stdio';

/**
 * An HTTP agent that carries every engine request of a command over one SSH connection:
 * each HTTP connection is a channel of that connection running `docker system dial-stdio`,
 * kept alive and reused like a socket. docker-modem's own SSH agent makes a new agent, and so
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
        return await dial(link);
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

/** One SSH connection, its socket referenced only while one of its channels is in use. */
class SshLink {
  ready: Promise<void> = Promise.resolve();
  channels = 0;
  limit = channelsPerConnection;
  closed = false;
  private refs = 0;

  constructor(
    readonly client: Client,
    private readonly socket: Socket,
  ) {}

  ref(): void {
    if (this.refs++ === 0) this.socket.ref();
  }

  unref(): void {
    if (--this.refs === 0) this.socket.unref();
  }
}

function dial(link: SshLink): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    link.client.exec(dialCommand, (err, channel) => {
      if (err) return reject(err);
      resolve(asSocket(channel, link));
    });
  });
}

function isChannelRefused(err: unknown): boolean {
  return /open failure|open failed/i.test((err as Error)?.message ?? '');
}

/**
 * A channel dressed as the socket Node's HTTP client and agent expect (ssh2's own HTTP agent
 * does the same, lib/http-agents.js): idle timeout, ref/unref (counted on the connection),
 * and the far side's error output when `docker system dial-stdio` fails before answering.
 */
function asSocket(channel: ClientChannel, link: SshLink): ClientChannel {
  const ch = channel as ClientChannel & Record<string, unknown>;
  let referenced = true;
  let answered = false;
  let stderr = '';
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    const ms = ch.timeout as number;
    if (ms > 0) timer = setTimeout(() => ch.emit('timeout'), ms).unref();
  };
  ch.timeout = 0;
  ch.ref = () => {
    if (!referenced) link.ref();
    referenced = true;
    return ch;
  };
  const unref = () => {
    if (referenced) link.unref();
    referenced = false;
    return ch;
  };
  ch.unref = unref;
  ch.setKeepAlive = () => ch;
  ch.setNoDelay = () => ch;
  ch.setTimeout = (ms: number, cb?: () => void) => {
    ch.timeout = ms;
    if (cb) ch.once('timeout', cb);
    arm();
    return ch;
  };
  ch.destroySoon = ch.destroy;
  const push = ch.push.bind(ch);
  ch.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk !== null) answered = true;
    arm();
    return push(chunk, encoding);
  };
  ch.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 2000) stderr += d.toString('utf8');
  });
  ch.once('exit', (code: number | null) => {
    if (code === 0 || answered) return;
    const said = stderr.trim() || `exit status ${code}`;
    const err = new Error(`${dialCommand} failed on the engine's host: ${said}`);
    (channel as unknown as Duplex).destroy(Object.assign(err, { code: 'ESTEPS_DIAL_STDIO' }));
  });
  ch.once('close', () => {
    clearTimeout(timer);
    link.channels--;
    unref();
  });
  return channel;
}
