/**
 * A TLS endpoint in front of an engine's plain TCP port, as `dockerd --tlsverify` is: the
 * server's certificate for 127.0.0.1, and a client certificate of the same CA required.
 * A test Swarm's manager listens on plain TCP; through this, a client reaches it over TLS
 * exactly as a docker-machine user reaches theirs. Real TLS (node:tls), no mock.
 */
import { readFile } from 'node:fs/promises';
import { type AddressInfo, connect } from 'node:net';
import { createServer } from 'node:tls';
import type { TestCertificates } from './test-certificates.js';

export interface TlsFront extends AsyncDisposable {
  /** `tcp://127.0.0.1:PORT`: where the engine answers over TLS. */
  readonly host: string;
  /** TLS connections accepted (a handshake with a trusted client certificate). */
  readonly accepted: () => number;
}

export async function startTlsFront(
  certs: TestCertificates,
  engine: { host: string; port: number },
): Promise<TlsFront> {
  let accepted = 0;
  const open = new Set<{ destroy(): void }>();
  const server = createServer(
    {
      key: await readFile(certs.serverKey),
      cert: await readFile(certs.serverCert),
      ca: await readFile(certs.ca),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (client) => {
      accepted++;
      const upstream = connect(engine.port, engine.host);
      open.add(client);
      client.pipe(upstream).pipe(client);
      const end = () => {
        open.delete(client);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    },
  );
  // A refused handshake (wrong CA) ends that connection only.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `tcp://127.0.0.1:${port}`,
    accepted: () => accepted,
    [Symbol.asyncDispose]: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A client's kept-alive connections would hold close() open.
        for (const socket of open) socket.destroy();
      }),
  };
}
