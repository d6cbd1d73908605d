/**
 * TLS material for a test engine, made with openssl as a docker-machine user has it: a CA, the
 * engine's certificate for 127.0.0.1 (serverAuth), a client certificate (clientAuth), and for
 * the failure cases a second, unrelated CA with a client certificate of its own.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export interface TestCertificates {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** A DOCKER_CERT_PATH: ca.pem, cert.pem, key.pem of the engine's CA. */
  readonly clientDir: string;
  /** A DOCKER_CERT_PATH whose ca.pem is another CA's: the engine is not trusted. */
  readonly otherCaDir: string;
  /** A DOCKER_CERT_PATH whose client certificate another CA signed: the engine refuses it. */
  readonly otherClientDir: string;
}

export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  await mkdir(dir, { recursive: true });
  const at = (f: string) => join(dir, f);
  await makeCa(at('ca'), 'esteps test CA');
  await makeCa(at('other-ca'), 'esteps other CA');
  await makeCert(
    at('server'),
    at('ca'),
    '127.0.0.1',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  await makeCert(at('client'), at('ca'), 'client', 'extendedKeyUsage=clientAuth\n');
  await makeCert(at('other-client'), at('other-ca'), 'client', 'extendedKeyUsage=clientAuth\n');
  const certPath = async (name: string, ca: string, client: string) => {
    const d = at(name);
    await mkdir(d);
    await execa('cp', [`${ca}.pem`, join(d, 'ca.pem')]);
    await execa('cp', [`${client}.pem`, join(d, 'cert.pem')]);
    await execa('cp', [`${client}-key.pem`, join(d, 'key.pem')]);
    return d;
  };
  return {
    ca: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server-key.pem'),
    clientDir: await certPath('docker', at('ca'), at('client')),
    otherCaDir: await certPath('docker-other-ca', at('other-ca'), at('client')),
    otherClientDir: await certPath('docker-other-client', at('ca'), at('other-client')),
  };
}

async function makeCa(base: string, cn: string): Promise<void> {
  await execa('openssl', [
    'ecparam',
    '-genkey',
    '-name',
    'prime256v1',
    '-noout',
    '-out',
    `${base}-key.pem`,
  ]);
  await execa('openssl', [
    'req',
    '-x509',
    '-new',
    '-key',
    `${base}-key.pem`,
    '-days',
    '2',
    '-subj',
    `/CN=${cn}`,
    '-out',
    `${base}.pem`,
  ]);
}

async function makeCert(base: string, ca: string, cn: string, extensions: string): Promise<void> {
  await execa('openssl', [
    'ecparam',
    '-genkey',
    '-name',
    'prime256v1',
    '-noout',
    '-out',
    `${base}-key.pem`,
  ]);
  await execa('openssl', [
    'req',
    '-new',
    '-key',
    `${base}-key.pem`,
    '-subj',
    `/CN=${cn}`,
    '-out',
    `${base}.csr`,
  ]);
  await writeFile(`${base}.ext`, extensions);
  await execa('openssl', [
    'x509',
    '-req',
    '-in',
    `${base}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}-key.pem`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${base}.ext`,
    '-out',
    `${base}.pem`,
  ]);
}
