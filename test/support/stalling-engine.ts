/**
 * The real engine behind a unix socket of the test's own that can stop answering: until
 * `stall()`, every connection is piped both ways to the engine's socket; from then on, bytes
 * already on their way are held (neither side's data is read any more) and a new connection
 * is accepted and never answered, as an engine that hangs (a daemon stuck on a kernel lock, a
 * tunnel gone quiet) behaves: the client sees neither an answer nor an error.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StallingEngine {
  /** The address to give as DOCKER_HOST. */
  readonly dockerHost: string;
  /** From now on, the engine answers nothing more on this socket. */
  stall(): void;
  close(): Promise<void>;
}

export async function startStallingEngine(
  engineSocket = '/var/run/docker.sock',
): Promise<StallingEngine> {
  const dir = await mkdtemp(join(tmpdir(), 'esteps-stalling-'));
  const path = join(dir, 'engine.sock');
  const sockets = new Set<Socket>();
  let stalled = false;
  const hold = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };
  const server = createServer((client) => {
    hold(client);
    if (stalled) return client.pause();
    const engine = connect(engineSocket);
    hold(engine);
    client.pipe(engine);
    engine.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  return {
    dockerHost: `unix://${path}`,
    stall() {
      stalled = true;
      for (const s of sockets) {
        s.unpipe();
        s.pause();
      }
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
