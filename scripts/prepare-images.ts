/**
 * `npm run setup`, second half: makes sure the engine has every image the stacks use.
 * For each image variable (stacks/images.ts): an explicit override must be present or
 * pullable; a default is used when present or pullable; otherwise an honestly named stand-in
 * is built from Debian's archive (scripts/standins/) and the override is written into `.env`.
 * Idempotent: stand-ins carry a hash of their build files and are rebuilt only when it changes.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigInvalidError } from '../stacks/model/errors.js';
import {
  type ImageVariable,
  imageDefaults,
  imageVariables,
} from '../stacks/model/image-defaults.js';
import { mergeEnvFile, readEnvFile } from '../stacks/resolve/env-file.js';
import {
  checkDiskSpace,
  ensureBaseImage,
  ensureStandInImage,
  hasImage,
  repoRoot,
  type ScriptContext,
  SetupError,
  type StandInImage,
  tryPull,
} from './standin-images.js';

const envPath = join(repoRoot, '.env');
/** Free space the stand-in builds need in the engine's data root. */
const minFreeBytes = 3 * 1024 ** 3;

const standIns: Record<ImageVariable, StandInImage> = {
  ESTEPS_POSTGRES_IMAGE: {
    tag: 'esteps-local/postgres:15-bookworm',
    dir: 'postgres',
    standInFor: imageDefaults.ESTEPS_POSTGRES_IMAGE.default,
  },
  ESTEPS_ENVOY_IMAGE: {
    tag: 'esteps-local/envoy-base:bookworm-no-envoy',
    dir: 'envoy-base',
    standInFor: imageDefaults.ESTEPS_ENVOY_IMAGE.default,
  },
  ESTEPS_NODE_IMAGE: {
    tag: `esteps-local/node:${process.versions.node}-host`,
    dir: 'node',
    standInFor: imageDefaults.ESTEPS_NODE_IMAGE.default,
    extraFiles: { node: process.execPath },
  },
};

const ctx: ScriptContext = {
  log: (line) => process.stderr.write(`setup: ${line}\n`),
  rerun: 'npm run setup',
};
const log = ctx.log;

function writeEnvOverride(variable: string, value: string): void {
  const text = existsSync(envPath) ? readFileSync(envPath, 'utf8') : '';
  writeFileSync(envPath, mergeEnvFile(text, { [variable]: value }));
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
  await checkDiskSpace(minFreeBytes, 'the stand-in images', ctx);
  await ensureBaseImage(ctx);
  const how = await ensureStandInImage(standIns[variable], ctx);
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
