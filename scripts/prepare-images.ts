/**
 * `npm run setup`, second half: makes sure the engine has every image the stacks use.
 * For each image variable (stacks/images.ts): an explicit override must be present or
 * pullable; a default is used when present or pullable; otherwise an honestly named stand-in
 * is built from Debian's archive (scripts/standins/) and the override is written into `.env`.
 * Idempotent: stand-ins carry a hash of their build files and are rebuilt only when it changes.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { mergeEnvFile, readEnvFile } from '../stacks/env-file.js';
import { ConfigInvalidError } from '../stacks/errors.js';
import { type ImageVariable, imageDefaults, imageVariables } from '../stacks/images.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const standinsDir = join(root, 'scripts', 'standins');
const envPath = join(root, '.env');

const baseImage = 'esteps-local/debian:bookworm';
const standInLabel = 'com.esteps.standin';
const standInHashLabel = 'com.esteps.standin-hash';
/** Free space the stand-in builds need in the engine's data root. */
const minFreeBytes = 3 * 1024 ** 3;

interface StandIn {
  readonly tag: string;
  readonly dir: string;
  /** Extra files copied into the build context (outside the repo). */
  readonly extraFiles?: Readonly<Record<string, string>>;
}

const standIns: Record<ImageVariable, StandIn> = {
  ESTEPS_POSTGRES_IMAGE: { tag: 'esteps-local/postgres:15-bookworm', dir: 'postgres' },
  ESTEPS_ENVOY_IMAGE: { tag: 'esteps-local/envoy-base:bookworm-no-envoy', dir: 'envoy-base' },
  ESTEPS_NODE_IMAGE: {
    tag: `esteps-local/node:${process.versions.node}-host`,
    dir: 'node',
    extraFiles: { node: process.execPath },
  },
};

class SetupError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

const log = (line: string) => process.stderr.write(`setup: ${line}\n`);

async function docker(args: string[], timeoutMs = 600_000) {
  return execa('docker', args, {
    reject: false,
    timeout: timeoutMs,
    env: { DOCKER_BUILDKIT: '0' },
  });
}

async function hasImage(ref: string): Promise<boolean> {
  return (await docker(['image', 'inspect', ref], 30_000)).exitCode === 0;
}

async function imageLabel(ref: string, label: string): Promise<string | undefined> {
  const r = await docker([
    'image',
    'inspect',
    '--format',
    `{{index .Config.Labels "${label}"}}`,
    ref,
  ]);
  return r.exitCode === 0 ? r.stdout.trim() || undefined : undefined;
}

async function tryPull(ref: string): Promise<boolean> {
  const r = await docker(['pull', '-q', ref], 60_000);
  return r.exitCode === 0;
}

function writeEnvOverride(variable: string, value: string): void {
  const text = existsSync(envPath) ? readFileSync(envPath, 'utf8') : '';
  writeFileSync(envPath, mergeEnvFile(text, { [variable]: value }));
}

function hashDir(dir: string, extra: Readonly<Record<string, string>> = {}, salt = ''): string {
  const hash = createHash('sha256').update(salt);
  for (const name of readdirSync(dir).sort()) {
    hash.update(name).update(readFileSync(join(dir, name)));
  }
  for (const [name, path] of Object.entries(extra).sort()) {
    hash.update(name).update(readFileSync(path));
  }
  return hash.digest('hex').slice(0, 16);
}

async function checkDiskSpace(): Promise<void> {
  const info = await docker(['info', '--format', '{{.DockerRootDir}}']);
  const dataRoot = info.stdout.trim() || '/var/lib/docker';
  const df = await execa('df', ['-B1', '--output=avail', dataRoot], { reject: false });
  const free = Number(df.stdout.split('\n')[1]);
  if (Number.isFinite(free) && free < minFreeBytes) {
    throw new SetupError(
      `only ${(free / 1024 ** 3).toFixed(1)} GiB free in ${dataRoot}; the stand-in images need ${minFreeBytes / 1024 ** 3} GiB`,
      'free disk space (docker system prune, or remove large files), then rerun npm run setup',
    );
  }
}

/** The Debian mirror apt uses on this machine, so the base is made from the same archive. */
function debianMirror(): string {
  const candidates = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text);
    if (deb822) return deb822[1]!;
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\s/m.exec(text);
    if (oneLine) return oneLine[1]!;
  }
  throw new SetupError(
    'no Debian bookworm mirror is configured for apt on this machine',
    'configure apt with a Debian bookworm archive, or pull the official images into the engine',
  );
}

async function ensureBaseImage(): Promise<void> {
  if (await hasImage(baseImage)) return;
  if (!existsSync('/usr/sbin/debootstrap')) {
    log('installing debootstrap');
    const r = await execa(
      'bash',
      ['-c', 'apt-get update -qq && apt-get install -y -qq debootstrap'],
      {
        reject: false,
        env: { DEBIAN_FRONTEND: 'noninteractive' },
      },
    );
    if (r.exitCode !== 0) {
      throw new SetupError(
        'could not install debootstrap',
        'run apt-get install debootstrap as root, then rerun npm run setup',
      );
    }
  }
  const rootfs = mkdtempSync(join(tmpdir(), 'esteps-rootfs-'));
  try {
    log(`making ${baseImage} with debootstrap (about 30 s)`);
    const boot = await execa(
      'debootstrap',
      ['--variant=minbase', 'bookworm', rootfs, debianMirror()],
      {
        reject: false,
        all: true,
      },
    );
    if (boot.exitCode !== 0) {
      throw new SetupError(
        `debootstrap failed: ${String(boot.all).split('\n').slice(-3).join(' ')}`,
        "check that Debian's archive is reachable (apt-get update works), then rerun npm run setup",
      );
    }
    const imp = await execa(
      'bash',
      [
        '-c',
        `tar -C "${rootfs}" -c . | docker import -c 'LABEL ${standInLabel}=debian:bookworm' - ${baseImage}`,
      ],
      {
        reject: false,
        all: true,
      },
    );
    if (imp.exitCode !== 0)
      throw new SetupError(
        `docker import failed: ${imp.all}`,
        'check the engine log, then rerun npm run setup',
      );
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

async function buildStandIn(variable: ImageVariable): Promise<'built' | 'reused'> {
  const standIn = standIns[variable];
  const dir = join(standinsDir, standIn.dir);
  const baseId = (
    await docker(['image', 'inspect', '--format', '{{.Id}}', baseImage])
  ).stdout.trim();
  const hash = hashDir(dir, standIn.extraFiles, baseId);
  if ((await imageLabel(standIn.tag, standInHashLabel)) === hash) return 'reused';

  const context = mkdtempSync(join(tmpdir(), 'esteps-standin-'));
  try {
    await execa('cp', ['-a', `${dir}/.`, context]);
    for (const [name, path] of Object.entries(standIn.extraFiles ?? {})) {
      await execa('cp', [path, join(context, name)]);
    }
    log(`building ${standIn.tag} (stands in for ${imageDefaults[variable].default})`);
    const r = await docker([
      'build',
      '-q',
      '-t',
      standIn.tag,
      '--build-arg',
      `BASE_IMAGE=${baseImage}`,
      '--label',
      `${standInLabel}=${imageDefaults[variable].default}`,
      '--label',
      `${standInHashLabel}=${hash}`,
      context,
    ]);
    if (r.exitCode !== 0) {
      throw new SetupError(
        `building ${standIn.tag} failed:\n${(r.stderr || r.stdout).split('\n').slice(-15).join('\n')}`,
        'fix what the build output says (disk space, archive reachability), then rerun npm run setup',
      );
    }
    return 'built';
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

interface Outcome {
  variable: ImageVariable;
  image: string;
  how: string;
}

async function ensureImage(
  variable: ImageVariable,
  dotenv: Readonly<Record<string, string>>,
): Promise<Outcome> {
  const fromEnv = process.env[variable];
  const override = fromEnv ?? dotenv[variable];
  const standIn = standIns[variable].tag;
  const isOurStandIn = override?.startsWith('esteps-local/') ?? false;

  if (override && !isOurStandIn) {
    const where = fromEnv ? 'the environment' : '.env';
    if (await hasImage(override))
      return { variable, image: override, how: `present (override from ${where})` };
    if (await tryPull(override))
      return { variable, image: override, how: `pulled (override from ${where})` };
    throw new SetupError(
      `${variable}=${override} (from ${where}) is not in the engine and cannot be pulled`,
      `load that image into the engine (docker load), or remove ${variable} from ${where} to use a stand-in`,
    );
  }
  const official = imageDefaults[variable].default;
  if (!isOurStandIn) {
    if (await hasImage(official)) return { variable, image: official, how: 'present (official)' };
    if (await tryPull(official)) return { variable, image: official, how: 'pulled (official)' };
  }
  await checkDiskSpace();
  await ensureBaseImage();
  const how = await buildStandIn(variable);
  if (override !== standIn) writeEnvOverride(variable, standIn);
  return { variable, image: standIn, how: `STAND-IN ${how} (no registry serves ${official})` };
}

async function main(): Promise<void> {
  const dotenv = existsSync(envPath) ? readEnvFile(readFileSync(envPath, 'utf8')) : {};
  const outcomes: Outcome[] = [];
  for (const variable of imageVariables) outcomes.push(await ensureImage(variable, dotenv));
  const width = Math.max(...outcomes.map((o) => o.variable.length));
  for (const o of outcomes) log(`${o.variable.padEnd(width)}  ${o.image}  ${o.how}`);
  if (outcomes.some((o) => o.how.startsWith('STAND-IN'))) {
    log("stand-ins are local images built from Debian's archive; .env points the stacks at them.");
  }
}

main().catch((err: unknown) => {
  if (err instanceof SetupError || err instanceof ConfigInvalidError) {
    process.stderr.write(`setup: error: ${err.message}\nsetup: next step: ${err.hint}\n`);
  } else {
    process.stderr.write(`setup: error: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exitCode = 1;
});
