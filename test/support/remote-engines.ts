/**
 * Engines "on another machine", on this one: a Docker engine in a container of the machine's
 * engine (the recipe of the test Swarm's nodes, shared/ENVIRONMENT.md), reached on 127.0.0.1
 * ports over sshd with key authentication (ssh://), over `dockerd --tlsverify` with
 * certificates this module makes with openssl (tcp:// + TLS), and over plain TCP (socat in
 * front of its socket). Nothing is mocked: real OpenSSH, real TLS, a real engine. Each run
 * makes its own keys, certificates and known_hosts in a temporary folder; the container and
 * its volume carry the test run's label and are removed even when a test fails (`await using`
 * or `remove()`), and a run that was killed is cleaned up by the next one.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { labels } from '../../cli/engine/labels.js';
import { removeNodeCgroups } from '../../scripts/swarm/node-cgroups.js';
import { freePort, removeByLabel, repoRoot, stackImage, testEngine, testLabels } from './engine.js';
import { makeTestCertificates, type TestCertificates } from './test-certificates.js';

/** On the container and volume of a remote test engine. */
export const remoteEngineLabel = 'com.esteps.remote-engine';
const imageTag = 'esteps-local/remote-engine:bookworm-docker20.10';
const baseImage = 'esteps-local/debian:bookworm';
const imageDir = join(repoRoot, 'test', 'support', 'remote-engine');

/** What the test Swarm's nodes get instead of --privileged (scripts/swarm/container-config.ts). */
const capabilities = [
  'SYS_ADMIN',
  'NET_ADMIN',
  'NET_RAW',
  'SYS_PTRACE',
  'MKNOD',
  'SYS_CHROOT',
  'SETFCAP',
  'AUDIT_WRITE',
  'DAC_READ_SEARCH',
  'IPC_LOCK',
  'SYS_NICE',
  'LINUX_IMMUTABLE',
  'NET_BROADCAST',
  'SYS_RAWIO',
  'SYSLOG',
];

export interface RemoteEngine extends AsyncDisposable {
  readonly name: string;
  /** 127.0.0.1 ports of this machine: sshd, dockerd --tlsverify, plain TCP. */
  readonly sshPort: number;
  readonly tlsPort: number;
  readonly tcpPort: number;
  /** 127.0.0.1 ports of this machine forwarded to the same port of the engine's host. */
  readonly stackPorts: readonly number[];
  /** The temporary folder: `home/` (a HOME with .ssh/id_ed25519 and known_hosts), certificates. */
  readonly dir: string;
  readonly home: string;
  readonly certs: TestCertificates;
  /** The engine's SSH host key line for known_hosts (`[127.0.0.1]:PORT ssh-ed25519 ...`). */
  readonly knownHostsLine: string;
  /** SSH logins sshd has accepted so far (its log). */
  sshLogins(): Promise<number>;
  /**
   * Another sshd on the engine's host, listening on `port` (one of `stackPorts`), with the
   * same host key and authorized key and sshd's `options` on top (`AllowStreamLocalForwarding
   * no`, say). It logs at VERBOSE: a line `Starting session: command ...` per command it runs.
   */
  startSshd(port: number, options: readonly string[]): Promise<{ log(): Promise<string> }>;
  remove(): Promise<void>;
}

export interface RemoteEngineOptions {
  /** Images of this machine's engine to load into the remote one. */
  readonly images?: readonly string[];
  /** How many 127.0.0.1 ports to forward for stacks. @default 4 */
  readonly stackPorts?: number;
  /** Folders of this machine mounted at the same path in the engine's host (`--data-root`). */
  readonly sharedDirs?: readonly string[];
  /** More arguments for dockerd. */
  readonly dockerdArgs?: readonly string[];
}

/** The stand-in images step 1 uses (postgres; the user service builds FROM envoy and node). */
export function stepOneImages(): string[] {
  return ['ESTEPS_POSTGRES_IMAGE', 'ESTEPS_ENVOY_IMAGE', 'ESTEPS_NODE_IMAGE'].map((v) =>
    stackImage(v as Parameters<typeof stackImage>[0]),
  );
}

export async function startRemoteEngine(options: RemoteEngineOptions = {}): Promise<RemoteEngine> {
  const { docker } = await testEngine();
  await removeAbandoned(docker);
  const imageId = await ensureImage();
  const name = `esteps-remote-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
  const dir = await mkdtemp(join(tmpdir(), 'esteps-remote-'));
  const engineDir = join(dir, 'engine');
  const home = join(dir, 'home');
  await mkdir(engineDir);
  await mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const certs = await makeTestCertificates(join(dir, 'certs'));
  for (const [file, from] of [
    ['ca.pem', certs.ca],
    ['server-cert.pem', certs.serverCert],
    ['server-key.pem', certs.serverKey],
  ] as const) {
    await writeFile(join(engineDir, file), await readFile(from));
  }
  await sshKey(join(engineDir, 'ssh_host_ed25519_key'));
  await sshKey(join(home, '.ssh', 'id_ed25519'));
  await writeFile(
    join(engineDir, 'authorized_keys'),
    await readFile(join(home, '.ssh', 'id_ed25519.pub')),
  );
  const [sshPort, tlsPort, tcpPort] = [await freePort(), await freePort(), await freePort()];
  const stackPorts: number[] = [];
  for (let i = 0; i < (options.stackPorts ?? 4); i++) stackPorts.push(await freePort());
  const hostKey = (await readFile(join(engineDir, 'ssh_host_ed25519_key.pub'), 'utf8')).split(' ');
  const knownHostsLine = `[127.0.0.1]:${sshPort} ${hostKey[0]} ${hostKey[1]}`;
  await writeFile(join(home, '.ssh', 'known_hosts'), `${knownHostsLine}\n`);

  const engineLabels = testLabels({ [remoteEngineLabel]: name });
  const volume = `${name}-docker`;
  await docker.createVolume({ Name: volume, Labels: engineLabels });
  const bind = (port: number) => [{ HostIp: '127.0.0.1', HostPort: String(port) }];
  const ports: Record<string, { HostIp: string; HostPort: string }[]> = {
    '22/tcp': bind(sshPort),
    '2376/tcp': bind(tlsPort),
    '2375/tcp': bind(tcpPort),
    ...Object.fromEntries(stackPorts.map((p) => [`${p}/tcp`, bind(p)])),
  };
  const container = await docker.createContainer({
    name,
    Hostname: name,
    Image: imageId,
    Cmd: [`--cgroup-parent=/${name}`, ...(options.dockerdArgs ?? [])],
    Labels: engineLabels,
    ExposedPorts: Object.fromEntries(Object.keys(ports).map((p) => [p, {}])),
    HostConfig: {
      Init: true,
      CapAdd: capabilities,
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      Devices: [
        { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
      ],
      Binds: [
        `${volume}:/var/lib/docker`,
        '/sys/fs/cgroup:/sys/fs/cgroup:rw',
        `${engineDir}:/esteps-test`,
        ...(options.sharedDirs ?? []).map((d) => `${d}:${d}`),
      ],
      Tmpfs: { '/run': 'rw,nosuid,nodev,mode=755' },
      PortBindings: ports,
      RestartPolicy: { Name: 'no' },
    },
  });
  const remove = async () => {
    await container.remove({ force: true, v: true }).catch(() => undefined);
    await docker
      .getVolume(volume)
      .remove()
      .catch(() => undefined);
    await removeNodeCgroups([name]);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await container.start();
    await waitForEngine(tcpPort);
    if (options.images?.length) await loadImages(options.images, tcpPort);
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    name,
    sshPort,
    tlsPort,
    tcpPort,
    stackPorts,
    dir,
    home,
    certs,
    knownHostsLine,
    sshLogins: async () => {
      const log = await readFile(join(engineDir, 'sshd.log'), 'utf8').catch(() => '');
      return log.split('\n').filter((l) => l.includes('Accepted publickey')).length;
    },
    startSshd: async (port, options) => {
      const log = `sshd-${port}.log`;
      const sshd = [...sshdArguments, '-o', `Port=${port}`, '-o', 'LogLevel=VERBOSE'];
      // sshd listens before it goes to the background: it answers once exec returns.
      await docker
        .getContainer(name)
        .exec({ Cmd: ['/usr/sbin/sshd', ...sshd, ...options, '-E', `/esteps-test/${log}`] })
        .then((exec) => exec.start({}))
        .then((stream) => new Promise((resolve) => stream.on('end', resolve).resume()));
      return { log: () => readFile(join(engineDir, log), 'utf8').catch(() => '') };
    },
    remove,
    [Symbol.asyncDispose]: remove,
  };
}

/** start-engine.sh's sshd, but its port and log. */
const sshdArguments = [
  '-f',
  '/dev/null',
  '-o',
  'ListenAddress=0.0.0.0',
  '-o',
  'HostKey=/esteps-test/ssh_host_ed25519_key',
  '-o',
  'AuthorizedKeysFile=/esteps-test/authorized_keys',
  '-o',
  'PasswordAuthentication=no',
  '-o',
  'KbdInteractiveAuthentication=no',
  '-o',
  'StrictModes=no',
  '-o',
  'PermitRootLogin=prohibit-password',
];

/** Builds the image unless the engine has it from the same build files. */
async function ensureImage(): Promise<string> {
  const hash = createHash('sha256');
  for (const f of ['Dockerfile', 'start-engine.sh']) hash.update(await readFile(join(imageDir, f)));
  const digest = hash.digest('hex').slice(0, 16);
  const inspect = await execa(
    'docker',
    [
      'image',
      'inspect',
      '--format',
      `{{.Id}} {{index .Config.Labels "${labels.standInHash}"}}`,
      imageTag,
    ],
    { reject: false },
  );
  const [id, have] = inspect.stdout.trim().split(' ');
  if (inspect.exitCode === 0 && have === digest && id) return id;
  await execa(
    'docker',
    [
      'build',
      '-q',
      '-t',
      imageTag,
      '--build-arg',
      `BASE_IMAGE=${baseImage}`,
      '--label',
      `${labels.standInHash}=${digest}`,
      imageDir,
    ],
    { timeout: 600_000 },
  );
  return (
    await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', imageTag])
  ).stdout.trim();
}

async function sshKey(path: string): Promise<void> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'esteps-test', '-f', path]);
  await chmod(path, 0o600);
}

async function waitForEngine(tcpPort: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await execa(
      'docker',
      ['-H', `tcp://127.0.0.1:${tcpPort}`, 'version', '--format', '{{.Server.Version}}'],
      { reject: false, timeout: 5000 },
    );
    if (r.exitCode === 0) return;
    if (Date.now() > deadline)
      throw new Error(`the remote test engine did not answer in 60 s: ${r.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** `docker save | docker -H ... load`, all images in one archive. */
async function loadImages(images: readonly string[], tcpPort: number): Promise<void> {
  await execa({
    shell: true,
    timeout: 300_000,
  })`docker save ${images} | docker -H tcp://127.0.0.1:${tcpPort} load -q`;
}

/** Remote engines of test processes that are gone (killed before their cleanup ran). */
async function removeAbandoned(docker: Docker): Promise<void> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [remoteEngineLabel] },
  });
  for (const c of containers) {
    const pid = Number(/^t(\d+)-/.exec(c.Labels[labels.test] ?? '')?.[1]);
    if (!pid || isAlive(pid)) continue;
    await removeByLabel(docker, labels.test, c.Labels[labels.test]!);
    await removeNodeCgroups([c.Labels[remoteEngineLabel]!]);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
