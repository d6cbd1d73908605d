/** Docker contexts written by a test into a DOCKER_CONFIG folder, as `docker context create` does. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { contextId } from '../../cli/engine/endpoint/docker-contexts.js';

/** Writes context `name` (endpoint `host`, TLS files ca/cert/key.pem from `tlsDir`) into `configDir`. */
export async function writeContext(
  configDir: string,
  name: string,
  host: string,
  tlsDir?: string,
): Promise<void> {
  const meta = join(configDir, 'contexts', 'meta', contextId(name));
  await mkdir(meta, { recursive: true });
  await writeFile(
    join(meta, 'meta.json'),
    JSON.stringify({
      Name: name,
      Metadata: {},
      Endpoints: { docker: { Host: host, SkipTLSVerify: false } },
    }),
  );
  if (!tlsDir) return;
  const tls = join(configDir, 'contexts', 'tls', contextId(name), 'docker');
  await mkdir(tls, { recursive: true });
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) await execa('cp', [join(tlsDir, f), tls]);
}
