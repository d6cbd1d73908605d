/**
 * Bundles the user service and its supervisor into one CommonJS file each, so the image
 * needs no node_modules and a hot patch is a single file. Output is deterministic for the
 * same sources (paths in the bundle are relative to the package root), so `version`, the
 * first 12 hex digits of the service bundle's SHA-256, names the code and nothing else.
 */
import { createHash } from 'node:crypto';
import type { BuildFailure } from 'esbuild';
import { EstepsError } from '../errors.js';

export interface ServiceBundle {
  /** /app/service.js */
  readonly service: Buffer;
  /** /app/supervisor.js */
  readonly supervisor: Buffer;
  /** First 12 hex digits of sha256(service). */
  readonly version: string;
}

/** The code version of a service bundle, as the supervisor and `GET /user/health` report it. */
export function bundleVersion(service: Buffer): string {
  return createHash('sha256').update(service).digest('hex').slice(0, 12);
}

async function bundleEntry(root: string, entry: string): Promise<Buffer> {
  try {
    // Loaded on use: esbuild is the heaviest module esteps has, and most commands never bundle.
    const { build } = await import('esbuild');
    const result = await build({
      absWorkingDir: root,
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      target: 'node18',
      format: 'cjs',
      minify: false,
      write: false,
      // pg loads pg-native only when asked to; the image has no native modules.
      external: ['pg-native'],
      logLevel: 'silent',
      legalComments: 'none',
    });
    const file = result.outputFiles[0];
    if (file === undefined) throw new Error(`esbuild produced no output for ${entry}`);
    return Buffer.from(file.contents);
  } catch (err) {
    const first = (err as BuildFailure).errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
    throw new EstepsError(
      'BUILD_FAILED',
      `Bundling ${entry} failed: ${first?.text ?? String(err)}${where}.`,
      {
        hint: 'Fix the error in service/ and run the command again (npx tsc --noEmit -p . shows type errors too).',
        cause: err,
      },
    );
  }
}

/** Bundles service/main.ts and service/supervisor.ts from the package at `root`. */
export async function bundleService(root: string): Promise<ServiceBundle> {
  const [service, supervisor] = await Promise.all([
    bundleEntry(root, 'service/main.ts'),
    bundleEntry(root, 'service/supervisor.ts'),
  ]);
  return { service, supervisor, version: bundleVersion(service) };
}

/**
 * Bundles service/main.ts only, for a hot patch: the supervisor already runs in the
 * container, so bundling it again would only cost time.
 */
export async function bundleServiceCode(
  root: string,
): Promise<Pick<ServiceBundle, 'service' | 'version'>> {
  const service = await bundleEntry(root, 'service/main.ts');
  return { service, version: bundleVersion(service) };
}
