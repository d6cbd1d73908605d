import type { Socket } from 'node:net';
import type { Client } from 'ssh2';

/**
 * OpenSSH's default MaxSessions: channels one SSH connection carries at once. Past it (many
 * log streams at once, say) the agent opens another connection rather than queueing a request
 * behind a stream that never ends.
 */
export const channelsPerConnection = 10;

/** One SSH connection, its socket referenced only while one of its channels is in use. */
export class SshLink {
  ready: Promise<void> = Promise.resolve();
  channels = 0;
  limit = channelsPerConnection;
  closed = false;
  /**
   * Whether channels go straight to the engine's socket (engine-channel.ts); false once the
   * server refused that, and every later channel runs `docker system dial-stdio`.
   */
  streamLocal = true;
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
