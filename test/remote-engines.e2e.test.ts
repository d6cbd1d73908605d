/**
 * Engines reached every way a Docker user reaches one (README "Which engine"), each a real
 * engine in a container of this machine's engine (test/support/remote-engines.ts) on
 * 127.0.0.1 ports: ssh:// through OpenSSH's sshd with key authentication (key file or agent,
 * host keys checked against known_hosts, plain and hashed), tcp:// with DOCKER_TLS_VERIFY and
 * certificates made by the test, docker contexts written by the test (DOCKER_CONTEXT and
 * currentContext, compared with the docker CLI's own choice), and a rootless-style socket
 * path. Each way in runs step 1's walk through the built CLI: up, smoke, hotpatch,
 * down --volumes. What cannot be trusted or is refused fails fast with its own code.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextId } from '../cli/engine/endpoint/docker-contexts.js';
import { type CliRun, runCli } from './support/cli.js';
import { uniqueName } from './support/engine.js';
import { type RemoteEngine, startRemoteEngine, stepOneImages } from './support/remote-engines.js';

let engine: RemoteEngine;
let scratch: string;

beforeAll(async () => {
  engine = await startRemoteEngine({ images: stepOneImages(), stackPorts: 6 });
  scratch = await mkdtemp(join(tmpdir(), 'esteps-ways-in-'));
}, 900_000);

afterAll(async () => {
  await engine?.remove();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** The environment of a user with nothing set but what `extra` says (no DOCKER_*, no agent). */
function userEnv(extra: Record<string, string>): Record<string, string> {
  return {
    DOCKER_HOST: '',
    DOCKER_CONTEXT: '',
    DOCKER_CONFIG: join(scratch, 'no-docker-config'),
    DOCKER_TLS_VERIFY: '',
    DOCKER_CERT_PATH: '',
    SSH_AUTH_SOCK: '',
    HOME: engine.home,
    ...extra,
  };
}

const esteps = (args: string[], env: Record<string, string>) => runCli(args, { env: userEnv(env) });
const errorOf = (run: CliRun) =>
  (run.json.error ?? {}) as { code?: string; message?: string; hint?: string };
const sshHost = () => `ssh://root@127.0.0.1:${engine.sshPort}`;
const tlsEnv = (certPath: string) => ({
  DOCKER_HOST: `tcp://127.0.0.1:${engine.tlsPort}`,
  DOCKER_TLS_VERIFY: '1',
  DOCKER_CERT_PATH: certPath,
});

/** A HOME of its own: `.ssh/` with what `files` says. */
async function homeWith(files: Record<string, string>): Promise<string> {
  const home = join(scratch, uniqueName('home'));
  await mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(home, '.ssh', name), text, { mode: 0o600 });
  }
  return home;
}

describe('ssh://', () => {
  it('reaches the engine with a key file and known_hosts, in one SSH login per command', async () => {
    const before = await engine.sshLogins();
    const run = await esteps(['ps', '-p', uniqueName('ssh-ps'), '--json'], {
      DOCKER_HOST: sshHost(),
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await engine.sshLogins()).toBe(before + 1);
  });

  it("reaches it with the user's agent (SSH_AUTH_SOCK) and a hashed known_hosts", async () => {
    const hashed = await homeWith({ known_hosts: `${engine.knownHostsLine}\n` });
    await execa('ssh-keygen', ['-H', '-f', join(hashed, '.ssh', 'known_hosts')]);
    const socket = join(scratch, uniqueName('agent'));
    const agent = await execa('ssh-agent', ['-a', socket, '-s']);
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1]);
    try {
      await execa('ssh-add', ['-q', join(engine.home, '.ssh', 'id_ed25519')], {
        env: { SSH_AUTH_SOCK: socket },
      });
      const run = await esteps(['ps', '-p', uniqueName('ssh-agent'), '--json'], {
        DOCKER_HOST: sshHost(),
        HOME: hashed,
        SSH_AUTH_SOCK: socket,
      });
      expect(run.exitCode, run.stderr).toBe(0);
    } finally {
      process.kill(pid);
    }
  });

  it('refuses an unknown host, fast, with its fingerprint and the next step (ENGINE_UNTRUSTED)', async () => {
    const key = await homeWith({});
    await execa('cp', [join(engine.home, '.ssh', 'id_ed25519'), join(key, '.ssh')]);
    const started = Date.now();
    const run = await esteps(['ps', '--json'], { DOCKER_HOST: sshHost(), HOME: key });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.exitCode).toBe(19);
    const error = errorOf(run);
    expect(error.code).toBe('ENGINE_UNTRUSTED');
    expect(error.message).toContain(
      `The SSH host [127.0.0.1]:${engine.sshPort} (${sshHost()}) is not in known_hosts`,
    );
    expect(error.message).toMatch(/ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}/);
    expect(error.hint).toContain(`ssh-keyscan -p ${engine.sshPort} 127.0.0.1 >>`);
  });

  it('refuses a host whose key changed (ENGINE_UNTRUSTED), and a key the server refuses (ENGINE_AUTH_FAILED)', async () => {
    const other = join(scratch, uniqueName('other-key'));
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const otherPublic = execFileSync('cut', ['-d', ' ', '-f1,2', `${other}.pub`], {
      encoding: 'utf8',
    }).trim();
    const changed = await homeWith({
      known_hosts: `[127.0.0.1]:${engine.sshPort} ${otherPublic}\n`,
    });
    await execa('cp', [join(engine.home, '.ssh', 'id_ed25519'), join(changed, '.ssh')]);
    const run = await esteps(['ps', '--json'], { DOCKER_HOST: sshHost(), HOME: changed });
    expect(errorOf(run)).toMatchObject({
      code: 'ENGINE_UNTRUSTED',
      message: expect.stringContaining('does not match the one known at'),
    });
    const refused = await homeWith({ known_hosts: `${engine.knownHostsLine}\n` });
    await execa('cp', [other, join(refused, '.ssh', 'id_ed25519')]);
    const denied = await esteps(['ps', '--json'], { DOCKER_HOST: sshHost(), HOME: refused });
    expect(denied.exitCode).toBe(20);
    expect(errorOf(denied)).toMatchObject({
      code: 'ENGINE_AUTH_FAILED',
      message: `The SSH server at ${sshHost()} refused user root with every key esteps offered: no agent (SSH_AUTH_SOCK not set), ${join(refused, '.ssh', 'id_ed25519')}.`,
    });
  });
});

describe('tcp:// with TLS', () => {
  it('reaches the engine with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', async () => {
    const run = await esteps(
      ['ps', '-p', uniqueName('tls-ps'), '--json'],
      tlsEnv(engine.certs.clientDir),
    );
    expect(run.exitCode, run.stderr).toBe(0);
  });

  it('refuses an engine certificate its CA did not sign (ENGINE_UNTRUSTED) and says when ours is refused (ENGINE_AUTH_FAILED)', async () => {
    const untrusted = await esteps(['ps', '--json'], tlsEnv(engine.certs.otherCaDir));
    expect(untrusted.exitCode).toBe(19);
    expect(errorOf(untrusted).message).toContain(
      `The engine at tcp://127.0.0.1:${engine.tlsPort} (DOCKER_HOST) presented a certificate that esteps cannot trust`,
    );
    const refused = await esteps(['ps', '--json'], tlsEnv(engine.certs.otherClientDir));
    expect(refused.exitCode, refused.stdout).toBe(20);
    expect(errorOf(refused).message).toContain(`refused esteps' client certificate`);
  });

  it('says what is missing: certificates (CONFIG_INVALID), or TLS itself', async () => {
    const empty = join(scratch, uniqueName('no-certs'));
    await mkdir(empty);
    const missing = await esteps(['ps', '--json'], tlsEnv(empty));
    expect(missing.exitCode).toBe(3);
    expect(errorOf(missing)).toMatchObject({
      code: 'CONFIG_INVALID',
      message: `DOCKER_TLS_VERIFY is set but DOCKER_CERT_PATH=${empty} has no ca.pem, cert.pem, key.pem.`,
    });
    const plain = await esteps(['ps', '--json'], {
      DOCKER_HOST: `tcp://127.0.0.1:${engine.tlsPort}`,
    });
    expect(errorOf(plain)).toMatchObject({
      code: 'ENGINE_UNAVAILABLE',
      message: `The engine at tcp://127.0.0.1:${engine.tlsPort} (DOCKER_HOST) speaks only TLS.`,
    });
  });
});
