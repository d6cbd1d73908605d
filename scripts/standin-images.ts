/**
 * Honestly named local stand-in images, built from Debian's archive when no registry can serve
 * the official ones: `npm run setup` builds those the stacks use, `npm run swarm:up` those of
 * the test Swarm. Each is built on `esteps-local/debian:bookworm` (made with debootstrap) from
 * a directory of scripts/standins/, carries the official image it replaces as a label, and a
 * hash of its build files (and of the base image), so it is rebuilt only when they change.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { labels } from '../cli/engine/labels.js';

/** The repository root (scripts run from dist/scripts/). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const standinsDir = join(repoRoot, 'scripts', 'standins');

export const baseImage = 'esteps-local/debian:bookworm';

/** A failure of a set-up script: what failed, and the next step. */
export class SetupError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    /** Stable, for `--json` readers. */
    readonly code = 'SETUP_FAILED',
  ) {
    super(message);
    this.name = 'SetupError';
  }
}

/** How a script reports: its progress lines, and the command that retries it. */
export interface ScriptContext {
  readonly log: (line: string) => void;
  /** e.g. `npm run setup`, named in every hint. */
  readonly rerun: string;
}

export interface StandInImage {
  readonly tag: string;
  /** Directory under scripts/standins/ holding the Dockerfile and its files. */
  readonly dir: string;
  /** The official image this one stands in for (the `com.esteps.standin` label). */
  readonly standInFor: string;
  /** Extra files copied into the build context (outside the repo). */
  readonly extraFiles?: Readonly<Record<string, string>>;
}

/** The docker client, legacy builder (what the engine API offers), never throwing. */
export async function docker(args: string[], timeoutMs = 600_000) {
  return execa('docker', args, {
    reject: false,
    timeout: timeoutMs,
    env: { DOCKER_BUILDKIT: '0' },
  });
}

export async function hasImage(ref: string): Promise<boolean> {
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

export async function tryPull(ref: string): Promise<boolean> {
  const r = await docker(['pull', '-q', ref], 60_000);
  return r.exitCode === 0;
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

/** Refuses when the engine's data root has less than `minFreeBytes` free. */
export async function checkDiskSpace(
  minFreeBytes: number,
  forWhat: string,
  ctx: ScriptContext,
): Promise<void> {
  const info = await docker(['info', '--format', '{{.DockerRootDir}}']);
  const dataRoot = info.stdout.trim() || '/var/lib/docker';
  const df = await execa('df', ['-B1', '--output=avail', dataRoot], { reject: false });
  const free = Number(df.stdout.split('\n')[1]);
  if (Number.isFinite(free) && free < minFreeBytes) {
    throw new SetupError(
      `only ${(free / 1024 ** 3).toFixed(1)} GiB free in ${dataRoot}; ${forWhat} need ${(minFreeBytes / 1024 ** 3).toFixed(0)} GiB`,
      `free disk space (remove what you no longer need), then rerun ${ctx.rerun}`,
      'DISK_FULL',
    );
  }
}

/** The Debian mirror apt uses on this machine, so the base is made from the same archive. */
function debianMirror(ctx: ScriptContext): string {
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
    `configure apt with a Debian bookworm archive, then rerun ${ctx.rerun}`,
  );
}

/** Makes `esteps-local/debian:bookworm` with debootstrap, unless the engine has it. */
export async function ensureBaseImage(ctx: ScriptContext): Promise<void> {
  if (await hasImage(baseImage)) return;
  if (!existsSync('/usr/sbin/debootstrap')) {
    ctx.log('installing debootstrap');
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
        `run apt-get install debootstrap as root, then rerun ${ctx.rerun}`,
      );
    }
  }
  const rootfs = mkdtempSync(join(tmpdir(), 'esteps-rootfs-'));
  try {
    ctx.log(`making ${baseImage} with debootstrap (about 30 s)`);
    const boot = await execa(
      'debootstrap',
      ['--variant=minbase', 'bookworm', rootfs, debianMirror(ctx)],
      {
        reject: false,
        all: true,
      },
    );
    if (boot.exitCode !== 0) {
      throw new SetupError(
        `debootstrap failed: ${String(boot.all).split('\n').slice(-3).join(' ')}`,
        `check that Debian's archive is reachable (apt-get update works), then rerun ${ctx.rerun}`,
      );
    }
    const imp = await execa(
      'bash',
      [
        '-c',
        `tar -C "${rootfs}" -c . | docker import -c 'LABEL ${labels.standIn}=debian:bookworm' - ${baseImage}`,
      ],
      {
        reject: false,
        all: true,
      },
    );
    if (imp.exitCode !== 0)
      throw new SetupError(
        `docker import failed: ${imp.all}`,
        `check the engine log, then rerun ${ctx.rerun}`,
      );
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

/**
 * Builds `standIn` on the base image unless the engine has it with the same build-file hash.
 * The base image must exist (ensureBaseImage).
 */
export async function ensureStandInImage(
  standIn: StandInImage,
  ctx: ScriptContext,
  options: { readonly beforeBuild?: () => Promise<void> } = {},
): Promise<'built' | 'reused'> {
  const dir = join(standinsDir, standIn.dir);
  const baseId = (
    await docker(['image', 'inspect', '--format', '{{.Id}}', baseImage])
  ).stdout.trim();
  const hash = hashDir(dir, standIn.extraFiles, baseId);
  if ((await imageLabel(standIn.tag, labels.standInHash)) === hash) return 'reused';
  await options.beforeBuild?.();

  const context = mkdtempSync(join(tmpdir(), 'esteps-standin-'));
  try {
    await execa('cp', ['-a', `${dir}/.`, context]);
    for (const [name, path] of Object.entries(standIn.extraFiles ?? {})) {
      await execa('cp', [path, join(context, name)]);
    }
    ctx.log(`building ${standIn.tag} (stands in for ${standIn.standInFor})`);
    const r = await docker([
      'build',
      '-q',
      '-t',
      standIn.tag,
      '--build-arg',
      `BASE_IMAGE=${baseImage}`,
      '--label',
      `${labels.standIn}=${standIn.standInFor}`,
      '--label',
      `${labels.standInHash}=${hash}`,
      context,
    ]);
    if (r.exitCode !== 0) {
      throw new SetupError(
        `building ${standIn.tag} failed:\n${(r.stderr || r.stdout).split('\n').slice(-15).join('\n')}`,
        `fix what the build output says (disk space, archive reachability), then rerun ${ctx.rerun}`,
        'BUILD_FAILED',
      );
    }
    return 'built';
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
