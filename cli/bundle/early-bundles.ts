/**
 * Bundles started before the CLI has loaded (cli/entry.ts): a one-shot `esteps hotpatch`
 * bundles its code while Node loads the CLI and the stack, instead of after them (the bundle
 * is the longest step a patch waits for before it can send the code: 60 to 150 ms here).
 * What to bundle is known only once the stack is loaded, so the entry starts what the same
 * command line, in the same folder, bundled the last time it succeeded (a record in the
 * cache, $XDG_CACHE_HOME/esteps/early-bundles/). The stack still decides: a bundle it asks
 * for that was started early with the same entry, target and folder is taken, any other is
 * built then, an early one nobody asks for is dropped, and the record is rewritten.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ResolvedBundle } from '../../stacks/model/model.js';
import { packageRoot } from '../package-root.js';
import { cacheKey, cacheRoot } from './build-cache.js';
import { type Bundled, build, type IncrementalBundler } from './bundle-code.js';

/** One bundle as the record keeps it: what `bundleCode` builds it from. */
interface BundleCall {
  readonly file: string;
  readonly target: string;
  readonly workingDir: string;
}

const started = new Map<string, Promise<Bundled>>();
let recordFile: string | undefined;
/** The record as read at the start, to rewrite it only when it changes. */
let recorded: string | undefined;

const keyOf = (call: BundleCall) => JSON.stringify([call.file, call.target, call.workingDir]);

/**
 * Starts the bundles this command line built the last time it succeeded in this folder;
 * nothing when it never did. Marks the process as one whose bundles are recorded.
 */
export function startEarlyBundles(
  cwd: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): void {
  recordFile = join(
    cacheRoot(env),
    'early-bundles',
    `${cacheKey(packageRoot(), cwd, ...args)}.json`,
  );
  let calls: BundleCall[];
  try {
    recorded = readFileSync(recordFile, 'utf8');
    calls = JSON.parse(recorded) as BundleCall[];
  } catch {
    return;
  }
  for (const call of calls) {
    const startedAt = Date.now();
    const building = build(
      { entry: call.file, target: call.target },
      call.file,
      call.workingDir,
    ).then((result) => ({ ...result, startedAt }));
    // Taken or not, a failure is reported by the build that asks for it (a new one).
    building.catch(() => undefined);
    started.set(keyOf(call), building);
  }
}

/** A bundler for one command that records what it bundles. */
export interface RecordingBundler extends IncrementalBundler {
  /** Records this command's bundles for the next run of the same command line. */
  record(): void;
}

/**
 * Serves the bundles started early when asked for the same ones, else builds; undefined when
 * the process did not start through the CLI's entry (the API, a test): nothing is recorded.
 */
export function earlyBundler(): RecordingBundler | undefined {
  const file = recordFile;
  if (file === undefined) return undefined;
  const calls: BundleCall[] = [];
  return {
    async rebuild(bundle: ResolvedBundle, entry: string, workingDir: string) {
      const call = { file: entry, target: bundle.target, workingDir };
      calls.push(call);
      const early = started.get(keyOf(call));
      started.delete(keyOf(call));
      // The same build started earlier, on the same files: its error, if any, is this one's.
      return early ?? build(bundle, entry, workingDir);
    },
    async dispose() {
      started.clear();
    },
    record() {
      const text = JSON.stringify(calls);
      if (calls.length === 0 || text === recorded) return;
      // Only a cache: a record that cannot be written changes nothing.
      try {
        mkdirSync(dirname(file), { recursive: true });
        const temporary = `${file}.${process.pid}.tmp`;
        writeFileSync(temporary, text);
        renameSync(temporary, file);
      } catch {
        // Next time the bundles start when the stack is loaded, as without a record.
      }
    },
  };
}
