import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * A cache of esbuild outputs keyed by the content of every file they were made from: an
 * output is reused only when each input (as esbuild's metafile listed them) still has the
 * bytes it had, so a cached output is exactly what a new build would make. It lives under
 * $XDG_CACHE_HOME/esteps (~/.cache/esteps), one folder per kind of output.
 */
export interface BuildCache {
  /** The cached output's path, or undefined when there is none or an input changed. */
  lookup(key: string): Promise<string | undefined>;
  /**
   * Stores `output`, made from `inputs` (absolute paths); returns the output's path. With
   * `builtAt` (the build's start, ms since the epoch), refuses when an input was written since:
   * its bytes now may not be the ones the output was made from.
   */
  store(
    key: string,
    output: Uint8Array,
    inputs: readonly string[],
    ext: string,
    builtAt?: number,
  ): Promise<string>;
}

interface CacheRecord {
  /** sha256 of every input, by absolute path. */
  readonly inputs: Readonly<Record<string, string>>;
  /** File name of the output in the cache folder (content-addressed). */
  readonly output: string;
}

export function cacheRoot(env: Readonly<Record<string, string | undefined>>): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'esteps');
}

export function buildCache(dir: string): BuildCache {
  const recordFile = (key: string) => join(dir, `${key}.json`);
  return {
    async lookup(key) {
      let record: CacheRecord;
      try {
        record = JSON.parse(await readFile(recordFile(key), 'utf8')) as CacheRecord;
      } catch {
        return undefined;
      }
      const same = await Promise.all(
        Object.entries(record.inputs).map(async ([file, digest]) =>
          readFile(file).then(
            (data) => sha256(data) === digest,
            () => false,
          ),
        ),
      );
      return same.every(Boolean) ? join(dir, record.output) : undefined;
    },
    async store(key, output, inputs, ext, builtAt) {
      const digests: Record<string, string> = {};
      await Promise.all(
        inputs.map(async (file) => {
          const [data, info] = await Promise.all([readFile(file), stat(file)]);
          if (builtAt !== undefined && info.mtimeMs >= builtAt) {
            throw new Error(`${file} changed during or after the build: not cached`);
          }
          digests[file] = sha256(data);
        }),
      );
      // Content-addressed, so an output already loaded under an older name is never replaced.
      const name = `${key}-${sha256(output).slice(0, 16)}${ext}`;
      await mkdir(dir, { recursive: true });
      await writeAtomically(join(dir, name), output);
      await writeAtomically(recordFile(key), JSON.stringify({ inputs: digests, output: name }));
      return join(dir, name);
    },
  };
}

/**
 * Part of every key: bump it when esteps changes how it calls esbuild (options, plugins), so
 * that outputs made the old way are not reused.
 */
const buildRecipe = '1';

/** The first 16 hex digits of sha256 over the parts: a cache key. */
export function cacheKey(...parts: readonly string[]): string {
  return sha256([buildRecipe, ...parts].join('\0')).slice(0, 16);
}

let writes = 0;

async function writeAtomically(file: string, data: string | Uint8Array): Promise<void> {
  // Unique per call: one process may store the same output twice at once, and no two live
  // processes share a pid. (Not randomBytes: its first call in a process seeds the generator,
  // about 10 ms of CPU on a hot patch's path.)
  const temporary = `${file}.${process.pid}-${Date.now().toString(36)}-${writes++}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, file);
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
