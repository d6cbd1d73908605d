import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EstepsError } from './errors.js';

interface Manifest {
  readonly name?: string;
  readonly version?: string;
}

let found: { root: string; manifest: Manifest } | undefined;

function findPackage(): { root: string; manifest: Manifest } {
  if (found) return found;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
      if (manifest.name === 'esteps') {
        found = { root: dir, manifest };
        return found;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new EstepsError('INTERNAL', 'Cannot find the esteps package root.', {
        hint: 'Reinstall esteps: its package.json should sit above cli/ and dist/.',
      });
    }
    dir = parent;
  }
}

/**
 * The directory holding esteps' package.json (with templates/ and service/), found from this
 * file whether it runs from source (cli/), compiled (dist/cli/) or bundled (dist/esteps.js).
 */
export function packageRoot(): string {
  return findPackage().root;
}

export function packageVersion(): string {
  return findPackage().manifest.version ?? '0.0.0';
}
