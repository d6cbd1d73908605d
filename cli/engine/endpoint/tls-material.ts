import { join } from 'node:path';
import { EstepsError } from '../../errors.js';
import type { EndpointFiles } from './endpoint-files.js';

/** What a TLS connection to an engine uses: the docker CLI's ca.pem, cert.pem and key.pem. */
export interface TlsMaterial {
  /** The CA that signed the engine's certificate; without it, the system's CAs. */
  readonly ca?: Buffer;
  /** The client certificate and its key, which an engine run with --tlsverify asks for. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** Check the engine's certificate (DOCKER_TLS_VERIFY; a context without SkipTLSVerify). */
  readonly verify: boolean;
  /** Where the files are, for messages: `DOCKER_CERT_PATH=/path` or the context's folder. */
  readonly from: string;
}

const fileNames = { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem' } as const;

/**
 * The TLS files of `dir`. With `required` (DOCKER_TLS_VERIFY: esteps never checks an engine
 * against the system's CAs by accident, nor connects without a client certificate) every file
 * must be there, else CONFIG_INVALID naming the missing ones; otherwise any may be absent.
 */
export async function readTlsMaterial(
  files: EndpointFiles,
  dir: string,
  options: { readonly verify: boolean; readonly required: boolean; readonly from: string },
): Promise<TlsMaterial> {
  const [ca, cert, key] = await Promise.all(
    Object.values(fileNames).map((name) => files.readFile(join(dir, name))),
  );
  const missing = Object.values(fileNames).filter((_, i) => ![ca, cert, key][i]);
  if (options.required && missing.length > 0) {
    throw new EstepsError(
      'CONFIG_INVALID',
      `DOCKER_TLS_VERIFY is set but ${options.from} has no ${missing.join(', ')}.`,
      {
        hint: "Point DOCKER_CERT_PATH at the folder with the engine's ca.pem, cert.pem and key.pem (docker-machine env NAME prints it), or unset DOCKER_TLS_VERIFY.",
      },
    );
  }
  if (Boolean(cert) !== Boolean(key)) {
    throw new EstepsError(
      'CONFIG_INVALID',
      `${options.from} has ${cert ? 'cert.pem without key.pem' : 'key.pem without cert.pem'}.`,
      { hint: 'A client certificate needs its key beside it: put both there, or neither.' },
    );
  }
  return {
    ...(ca && { ca }),
    ...(cert && { cert }),
    ...(key && { key }),
    verify: options.verify,
    from: options.from,
  };
}
