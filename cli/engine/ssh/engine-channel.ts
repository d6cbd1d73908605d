import type { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import type { SshLink } from './ssh-link.js';

/**
 * The engine's socket on the far side: where `docker system dial-stdio` run there connects
 * unless the remote user's DOCKER_HOST or docker context says otherwise (not asked: asking
 * costs a remote process start per command, as much as the dial-stdio it would spare).
 */
export const remoteEngineSocket = '/var/run/docker.sock';

/** What the far side runs when it will not open a channel to that socket. */
export const dialCommand = 'docker system dial-stdio';

/**
 * A channel to the remote engine, dressed as a socket for Node's HTTP agent: straight to its
 * socket (OpenSSH's direct-streamlocal, what `ssh -L` uses for a socket), which costs one
 * round trip; where the server refuses that (`AllowStreamLocalForwarding no`, no such socket,
 * or one this user may not open) a channel running `docker system dial-stdio`, as the docker
 * CLI and docker-modem do, which starts a `docker` process on the far side for each HTTP
 * connection (100 to 500 ms on a busy host, bench/ssh-bench.mjs).
 */
export async function dialEngine(link: SshLink): Promise<ClientChannel> {
  if (link.streamLocal) {
    try {
      return channelSocket(await openStreamLocal(link), link);
    } catch (err) {
      if (!isChannelRefused(err)) throw err;
      link.streamLocal = false;
    }
  }
  return channelSocket(await execDialStdio(link), link);
}

/** The server refused to open a channel (its MaxSessions, or a forwarding it does not allow). */
export function isChannelRefused(err: unknown): boolean {
  return /open failure|open failed/i.test((err as Error)?.message ?? '');
}

function openStreamLocal(link: SshLink): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    link.client.openssh_forwardOutStreamLocal(remoteEngineSocket, (err, channel) =>
      err ? reject(err) : resolve(channel),
    );
  });
}

function execDialStdio(link: SshLink): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    link.client.exec(dialCommand, (err, channel) => (err ? reject(err) : resolve(channel)));
  });
}

/**
 * A channel dressed as the socket Node's HTTP client and agent expect (ssh2's own HTTP agent
 * does the same, lib/http-agents.js): idle timeout, ref/unref (counted on the connection),
 * no half-open channel (below), and the far side's error output when `docker system
 * dial-stdio` fails before answering.
 */
function channelSocket(channel: ClientChannel, link: SshLink): ClientChannel {
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
  // The engine closed its end: end ours too, as a net.Socket does (allowHalfOpen false).
  // ssh2's channels stay half open, and the server closes a channel only once both ends have
  // sent EOF: a hijacked exec stream the engine ended would otherwise stay open, and
  // referenced, for ever, and the command would not exit. (A dial-stdio channel closed anyway,
  // when its process exited.)
  ch.once('end', () => {
    if (!ch.writableEnded) ch.end();
  });
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
