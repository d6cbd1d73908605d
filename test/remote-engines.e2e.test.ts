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
import type Docker from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine } from '../cli/engine/client.js';
import { execInContainer } from '../cli/engine/exec.js';
import { type CliRun, runCli } from './support/cli.js';
import { writeContext } from './support/docker-contexts.js';
import { projectLeftovers, stackImage, testLabels, uniqueName } from './support/engine.js';
import { type RemoteEngine, startRemoteEngine, stepOneImages } from './support/remote-engines.js';

let engine: RemoteEngine;
let scratch: string;

beforeAll(async () => {
  engine = await startRemoteEngine({ images: stepOneImages(), stackPorts: 8 });
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

/**
 * The built CLI as a user with `env` runs it; a command still running after 5 minutes is
 * ended, so a test that hangs shows which command and its output.
 */
const esteps = (args: string[], env: Record<string, string>, exitWithinMs?: number) =>
  runCli(args, { env: userEnv(env), timeoutMs: 300_000, ...(exitWithinMs && { exitWithinMs }) });

/**
 * How long a command may take to exit once it has printed its result: the event loop empties
 * in milliseconds when nothing is left open (a connection, a channel, a timer); 10 s leaves
 * room for a loaded machine and still ends a command that would never exit.
 */
const exitBoundMs = 10_000;
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

describe('ssh:// channels', () => {
  it('go straight to the engine socket, and run docker system dial-stdio where sshd forbids that', async () => {
    const [allows, forbids] = engine.stackPorts.slice(-2) as [number, number];
    const hostKey = engine.knownHostsLine.split(' ').slice(1).join(' ');
    const home = await homeWith({
      known_hosts: `[127.0.0.1]:${allows} ${hostKey}\n[127.0.0.1]:${forbids} ${hostKey}\n`,
    });
    await execa('cp', [join(engine.home, '.ssh', 'id_ed25519'), join(home, '.ssh')]);
    const sshds = {
      allows: { port: allows, sshd: await engine.startSshd(allows, []) },
      forbids: {
        port: forbids,
        sshd: await engine.startSshd(forbids, ['-o', 'AllowStreamLocalForwarding=no']),
      },
    };
    for (const [name, { port, sshd }] of Object.entries(sshds)) {
      const run = await esteps(['ps', '-p', uniqueName(`ssh-${name}`), '--json'], {
        DOCKER_HOST: `ssh://root@127.0.0.1:${port}`,
        HOME: home,
      });
      expect(run.exitCode, `${name}: ${run.stderr}`).toBe(0);
      const commands = (await sshd.log()).match(/Starting session: command/g) ?? [];
      // One process started on the far side for each HTTP connection, or none at all.
      if (name === 'allows') expect(commands, 'commands run where sshd allows').toEqual([]);
      else expect(commands.length, 'commands run where sshd forbids').toBeGreaterThan(0);
    }
  });

  it('are closed once the engine closed them: 12 execs, one SSH login, nothing left keeping a process alive', async () => {
    // Each exec's output stream is a channel the engine ends when the command ends; one left
    // half open counts against the 10 channels of a connection (a second login) and, while
    // referenced, keeps the process from exiting (a command that never ends).
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap');
    const referencedBefore = sockets().length;
    const loginsBefore = await engine.sshLogins();
    const ssh = await connectEngine(userEnv({ DOCKER_HOST: sshHost() }), { home: engine.home });
    const container = await sleeperContainer(ssh.docker);
    try {
      for (let i = 0; i < 12; i++) {
        const run = await execInContainer(container, ['true'], { failure: 'HEALTH_TIMEOUT' });
        expect(run.exitCode).toBe(0);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await engine.sshLogins(), 'SSH logins').toBe(loginsBefore + 1);
      expect(sockets(), 'referenced sockets once idle').toHaveLength(referencedBefore);
    } finally {
      await container.remove({ force: true });
      (ssh.docker.modem as unknown as { agent: { destroy(): void } }).agent.destroy();
    }
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

describe('tcp:// with TLS to a port that speaks plain HTTP', () => {
  it('says the engine does not speak TLS, and how to reach it (ENGINE_UNAVAILABLE, exit 4)', async () => {
    const host = `tcp://127.0.0.1:${engine.tcpPort}`;
    const run = await esteps(['ps', '--json'], {
      ...tlsEnv(engine.certs.clientDir),
      DOCKER_HOST: host,
    });
    expect(run.exitCode, run.stdout).toBe(4);
    expect(errorOf(run)).toMatchObject({
      code: 'ENGINE_UNAVAILABLE',
      message: expect.stringMatching(
        new RegExp(`^The engine at ${host} \\(DOCKER_HOST\\) does not speak TLS \\(.+\\)\\.$`),
      ),
      hint: "Unset DOCKER_TLS_VERIFY (or use the engine's TLS port, usually 2376), then retry.",
    });
    const text = await esteps(['ps'], { ...tlsEnv(engine.certs.clientDir), DOCKER_HOST: host });
    expect(text.exitCode).toBe(4);
    expect(text.stderr).toContain(`esteps: The engine at ${host} (DOCKER_HOST) does not speak TLS`);
  });
});

describe('docker contexts', () => {
  it('are read from their own files, chosen as the docker CLI chooses them', async () => {
    const config = join(scratch, uniqueName('docker-config'));
    await writeContext(
      config,
      'remote-tls',
      `tcp://127.0.0.1:${engine.tlsPort}`,
      engine.certs.clientDir,
    );
    await writeContext(config, 'remote-ssh', sshHost());
    await writeFile(join(config, 'config.json'), JSON.stringify({ currentContext: 'remote-ssh' }));
    const cases: [string, Record<string, string>, string][] = [
      ['currentContext', {}, sshHost()],
      [
        'DOCKER_CONTEXT over currentContext',
        { DOCKER_CONTEXT: 'remote-tls' },
        `tcp://127.0.0.1:${engine.tlsPort}`,
      ],
    ];
    for (const [what, extra, host] of cases) {
      const env = { DOCKER_CONFIG: config, ...extra };
      // The docker CLI is the reference: the context it would use, and its endpoint.
      const docker = await execa(
        'docker',
        ['context', 'inspect', '--format', '{{.Endpoints.docker.Host}}'],
        {
          env: userEnv(env),
        },
      );
      expect(docker.stdout.trim(), what).toBe(host);
      const run = await esteps(['ps', '-p', uniqueName('ctx-ps'), '--json'], env);
      expect(run.exitCode, `${what}: ${run.stderr}`).toBe(0);
      // The engine answering is the remote one, and says how it was found.
      const reached = await connectEngine(userEnv(env), { home: engine.home });
      expect((await reached.docker.info()).Name, what).toBe(engine.name);
      expect(reached.endpoint, what).toMatchObject({ host, remote: true, address: '127.0.0.1' });
    }
    const byOption = await connectEngine(
      userEnv({ DOCKER_CONFIG: config, DOCKER_HOST: sshHost() }),
      {
        context: 'remote-tls',
        home: engine.home,
      },
    );
    expect(byOption.endpoint).toEqual({
      source: '--context',
      context: 'remote-tls',
      host: `tcp://127.0.0.1:${engine.tlsPort}`,
      remote: true,
      address: '127.0.0.1',
    });
    expect((await byOption.docker.info()).Name).toBe(engine.name);
    const flag = await esteps(['ps', '--json'], {
      DOCKER_CONFIG: config,
      DOCKER_CONTEXT: 'missing',
    });
    expect(errorOf(flag)).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('Docker context "missing" (DOCKER_CONTEXT) does not exist'),
    });
  });
});

/**
 * A walk builds step 1's image on the engine reached and hashes passwords at OWASP's cost
 * there: minutes on two shared cores, more than the e2e project's 3 minutes per test.
 */
const walkTimeoutMs = 600_000;

/** Where each way in publishes its stack: a port the remote engine's container forwards. */
let nextStackPort = 0;
const stackFile = 'test/support/remote-step1.stack.ts';

/**
 * Step 1's walk through the built CLI: up, smoke, hotpatch, down --volumes, on the engine
 * `env` reaches; every container is on that engine and none on `notOn` (when given).
 */
async function stepOneWalk(
  prefix: string,
  env: Record<string, string>,
  options: {
    readonly file?: string;
    readonly port?: number;
    /** What the engine that should have been reached holds of the project. @default onRemote */
    readonly on?: (project: string) => Promise<string[]>;
    /** Runs right after `up`. */
    readonly afterUp?: (project: string, port: number) => Promise<void>;
  } = {},
) {
  const project = uniqueName(prefix);
  const file = options.file ?? stackFile;
  const port = options.port ?? engine.stackPorts[nextStackPort++]!;
  const withPort = { ...env, ESTEPS_USERSVC_PORT: String(port) };
  const args = (command: string, ...more: string[]) => [
    command,
    '-f',
    file,
    '-p',
    project,
    ...more,
    '--json',
  ];
  try {
    // A project from nothing: builds, a health check run through exec, an HTTP probe.
    const up = await esteps(args('up'), withPort, exitBoundMs);
    expect(up.exitLagMs, `up printed its result but did not exit: ${up.stdout}`).toBeLessThan(
      exitBoundMs,
    );
    expect(up.exitCode, `up: ${up.stdout}\n${up.stderr}`).toBe(0);
    await options.afterUp?.(project, port);
    const smoke = await esteps(args('smoke'), withPort);
    expect(smoke.exitCode, `smoke: ${smoke.stdout}\n${smoke.stderr}`).toBe(0);
    expect(await (options.on ?? onRemote)(project), 'containers on the engine reached').not.toEqual(
      [],
    );
    const hotpatch = await esteps(args('hotpatch'), withPort);
    expect(hotpatch.exitCode, `hotpatch: ${hotpatch.stdout}\n${hotpatch.stderr}`).toBe(0);
    const services = hotpatch.json.services as { replicas: { version: string }[] }[];
    expect(services.flatMap((s) => s.replicas).length, hotpatch.stdout).toBeGreaterThan(0);
    const down = await esteps(args('down', '--volumes'), withPort);
    expect(down.exitCode, `down: ${down.stdout}\n${down.stderr}`).toBe(0);
    return { project, up, smoke, hotpatch, down };
  } finally {
    await esteps(['down', '-p', project, '--volumes'], withPort);
  }
}

/** What the remote engine holds of `project` (containers and volumes), asked over plain TCP. */
async function onRemote(project: string): Promise<string[]> {
  const host = `tcp://127.0.0.1:${engine.tcpPort}`;
  const filter = `label=com.esteps.project=${project}`;
  const containers = await execa('docker', ['-H', host, 'ps', '-aq', '--filter', filter]);
  const volumes = await execa('docker', ['-H', host, 'volume', 'ls', '-q', '--filter', filter]);
  return [...containers.stdout.split('\n'), ...volumes.stdout.split('\n')].filter(Boolean);
}

describe('step 1 through each way in', () => {
  it(
    'ssh://: up, smoke, hotpatch, down, one SSH login for up and one for ps',
    async () => {
      const env = { DOCKER_HOST: sshHost() };
      const loginsBeforeUp = await engine.sshLogins();
      // Within the walk, right after up: sshd's count of logins for up, then for ps and a
      // no-op up, one command at a time.
      const walk = await stepOneWalk('walk-ssh', env, {
        afterUp: async (project, port) => {
          expect(await engine.sshLogins(), 'logins for up').toBe(loginsBeforeUp + 1);
          for (const command of ['ps', 'up']) {
            const before = await engine.sshLogins();
            const run = await esteps([command, '-f', stackFile, '-p', project, '--json'], {
              ...env,
              ESTEPS_USERSVC_PORT: String(port),
            });
            expect(run.exitCode, `${command}: ${run.stdout}\n${run.stderr}`).toBe(0);
            expect(await engine.sshLogins(), `logins for ${command}`).toBe(before + 1);
          }
        },
      });
      expect(await onRemote(walk.project)).toEqual([]);
    },
    walkTimeoutMs,
  );

  it(
    'tcp:// with DOCKER_TLS_VERIFY: up, smoke, hotpatch, down',
    async () => {
      const walk = await stepOneWalk('walk-tls', tlsEnv(engine.certs.clientDir));
      expect(await onRemote(walk.project)).toEqual([]);
    },
    walkTimeoutMs,
  );

  it(
    'a context with its TLS files (currentContext): up, smoke, hotpatch, down',
    async () => {
      const config = join(scratch, uniqueName('docker-config'));
      await writeContext(
        config,
        'machine',
        `tcp://127.0.0.1:${engine.tlsPort}`,
        engine.certs.clientDir,
      );
      await writeFile(join(config, 'config.json'), JSON.stringify({ currentContext: 'machine' }));
      await stepOneWalk('walk-context', { DOCKER_CONFIG: config });
    },
    walkTimeoutMs,
  );

  it(
    'a rootless-style socket path (a context of its own, and DOCKER_HOST=unix://): up, smoke, hotpatch, down',
    async () => {
      // A socket at a per-user path that leads to this machine's engine, as a rootless engine's
      // $XDG_RUNTIME_DIR/docker.sock does: the engine is local, its ports answer here.
      const runtimeDir = join(scratch, uniqueName('xdg'));
      await mkdir(runtimeDir);
      const socket = join(runtimeDir, 'docker.sock');
      const forward = await forwardSocket(socket, '/var/run/docker.sock');
      try {
        const config = join(scratch, uniqueName('docker-config'));
        await writeContext(config, 'rootless', `unix://${socket}`);
        const ps = await esteps(['ps', '--json'], {
          DOCKER_HOST: `unix://${socket}`,
          XDG_RUNTIME_DIR: runtimeDir,
        });
        expect(ps.exitCode, ps.stderr).toBe(0);
        await stepOneWalk(
          'walk-rootless',
          { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'rootless' },
          {
            file: 'stacks/builtin/step1.ts',
            port: 0,
            on: projectLeftovers,
          },
        );
        expect(forward.connections).toBeGreaterThan(0);
      } finally {
        await new Promise((resolve) => forward.server.close(resolve));
      }
    },
    walkTimeoutMs,
  );
});

/** A unix socket at `path` whose every connection is piped to `target`. */
async function forwardSocket(
  path: string,
  target: string,
): Promise<{ server: Server; connections: number }> {
  const forward = { server: createServer(), connections: 0 };
  forward.server.on('connection', (client) => {
    forward.connections++;
    const engineSide = createConnection(target);
    client.pipe(engineSide).pipe(client);
    const close = () => {
      client.destroy();
      engineSide.destroy();
    };
    client.on('error', close).on('close', close);
    engineSide.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => forward.server.listen(path, resolve));
  return forward;
}

/** A one-service stack in a folder of its own, published on its default: the host's 127.0.0.1. */
async function loopbackStack(): Promise<string> {
  const dir = join(scratch, uniqueName('loopback-stack'));
  await mkdir(dir);
  const server = "require('node:http').createServer((q, s) => s.end('ok')).listen(5000)";
  const service = {
    image: { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' },
    command: ['/usr/local/bin/node', '-e', server],
    ports: [{ hostPort: 0, containerPort: 5000 }],
    httpProbe: { path: '/', containerPort: 5000 },
  };
  await writeFile(
    join(dir, 'esteps.stack.ts'),
    `import { defineStack } from 'esteps';\nexport default defineStack({ name: 'loopback', services: { web: ${JSON.stringify(service)} } });\n`,
  );
  await writeFile(join(dir, '.env'), `ESTEPS_NODE_IMAGE=${stackImage('ESTEPS_NODE_IMAGE')}\n`);
  return dir;
}

/** A started container that only sleeps, on the engine behind `docker`, to exec in. */
async function sleeperContainer(docker: Docker): Promise<Docker.Container> {
  const container = await docker.createContainer({
    Image: stepOneImages()[1],
    Cmd: ['sleep', 'infinity'],
    Labels: testLabels(),
  });
  await container.start().catch(async (err: unknown) => {
    await container.remove({ force: true });
    throw err;
  });
  return container;
}

describe('ssh:// past 10 streams at once', () => {
  it("opens a second SSH connection rather than queueing a request behind a stream (OpenSSH's 10 sessions)", async () => {
    const loginsBefore = await engine.sshLogins();
    const ssh = await connectEngine(userEnv({ DOCKER_HOST: sshHost() }), { home: engine.home });
    const container = await sleeperContainer(ssh.docker);
    try {
      // 12 execs that each hold their stream for 3 s: 12 channels open together.
      const runs = await Promise.all(
        Array.from({ length: 12 }, () =>
          execInContainer(container, ['sleep', '3'], { failure: 'HEALTH_TIMEOUT' }),
        ),
      );
      expect(runs.map((r) => r.exitCode)).toEqual(Array(12).fill(0));
      expect(await engine.sshLogins(), 'SSH logins').toBe(loginsBefore + 2);
    } finally {
      await container.remove({ force: true });
      (ssh.docker.modem as unknown as { agent: { destroy(): void } }).agent.destroy();
    }
  });
});

describe("a service published on a remote engine's loopback", () => {
  it('comes up (ready inside), says where it answers, and smoke is NOT_REACHABLE (exit 21)', async () => {
    const dir = await loopbackStack();
    const project = uniqueName('loopback');
    const env = { DOCKER_HOST: `tcp://127.0.0.1:${engine.tcpPort}` };
    const args = (command: string, ...more: string[]) => [
      command,
      '-f',
      dir,
      '-p',
      project,
      ...more,
    ];
    try {
      const up = await esteps(args('up', '--json'), env);
      expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);
      const [web] = up.json.services as { service: string; urls: string[]; notes: string[] }[];
      expect(web).toMatchObject({ service: 'web', urls: [] });
      const note = web!.notes.join('\n');
      const published = /published on its 127\.0\.0\.1:(\d+)/.exec(note);
      expect(published, note).not.toBeNull();
      expect(note).toContain("reachable only on the engine's host (127.0.0.1)");

      const smoke = await esteps(args('smoke', '--json'), env);
      expect(smoke.exitCode, `${smoke.stdout}\n${smoke.stderr}`).toBe(21);
      expect(() => JSON.parse(smoke.stdout)).not.toThrow();
      expect(errorOf(smoke)).toEqual({
        code: 'NOT_REACHABLE',
        message: `web answers reachable only on the engine's host (127.0.0.1): published on its 127.0.0.1:${published![1]}.`,
        hint: "Publish its port on all the engine host's addresses (hostIp: '0.0.0.0') in the stack, or run this command on the engine's host.",
      });
      const text = await esteps(args('smoke'), env);
      expect(text.exitCode).toBe(21);
      expect(text.stderr).toMatch(/^esteps: web answers reachable only on the engine's host/m);
      expect(text.stderr).toMatch(/^hint: Publish its port/m);
    } finally {
      await esteps(args('down', '--volumes'), env);
    }
    expect(await onRemote(project)).toEqual([]);
  });
});

describe('plain tcp://', () => {
  it('reaches the engine', async () => {
    const run = await esteps(['ps', '-p', uniqueName('tcp-ps'), '--json'], {
      DOCKER_HOST: `tcp://127.0.0.1:${engine.tcpPort}`,
    });
    expect(run.exitCode, run.stderr).toBe(0);
  });
});
