import type { Client, ClientChannel } from 'ssh2';

/**
 * Which engine `docker system dial-stdio` reaches on the far side, asked once per SSH
 * connection: the remote docker CLI's own choice (its DOCKER_HOST, context or default socket),
 * as `docker context inspect` prints it. When that is a unix socket, later HTTP connections
 * open a channel straight to it (OpenSSH's direct-streamlocal, what `ssh -L` uses for a
 * socket) instead of starting a remote `docker` process each: that start costs 100 to 700 ms
 * on a busy host, which made every parallel request wait (bench/ssh-bench.mjs). Undefined when
 * the remote CLI has no contexts (before 19.03), or its engine is not a unix socket: every
 * connection then runs dial-stdio.
 */
export function remoteEngineSocket(client: Client): Promise<string | undefined> {
  return new Promise((resolve) => {
    client.exec("docker context inspect --format '{{.Endpoints.docker.Host}}'", (err, channel) => {
      if (err) return resolve(undefined);
      let out = '';
      channel.on('data', (d: Buffer) => {
        out += d.toString('utf8');
      });
      channel.stderr.resume();
      channel.once('close', (code: number | null) => {
        const host = out.trim();
        resolve(code === 0 && /^unix:\/\/\//.test(host) ? host.slice('unix://'.length) : undefined);
      });
    });
  });
}

/** A channel connected to the remote unix socket `path`. */
export function openStreamLocal(client: Client, path: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.openssh_forwardOutStreamLocal(path, (err, channel) =>
      err ? reject(err) : resolve(channel),
    );
  });
}
