import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { checkEnvoyDocument, isError } from '../../stacks/envoy/check-envoy.js';
import { readEnvoyFile } from '../../stacks/envoy/envoy-config-file.js';
import type { EnvoyProblem } from '../../stacks/envoy/envoy-paths.js';

export interface EnvoyCheckInput {
  /** Envoy configuration files, YAML (`.yaml`, `.yml`) or JSON, relative to `cwd`. */
  readonly files: readonly string[];
  readonly cwd: string;
  /**
   * Also apply esteps' own policy for the configurations it generates (the admin interface on
   * the container's loopback only). @default false
   */
  readonly policy?: boolean;
}

/** One problem of a file, where it is and what was probably meant. */
export interface EnvoyCheckIssue {
  /** In the configuration, e.g. `static_resources.clusters[0].lb_policy`; '' for the file. */
  readonly path: string;
  /** The line the path starts on, when the file is YAML and the path is in it. */
  readonly line?: number;
  readonly message: string;
  /** What was probably meant (a field, type, cluster or value name). */
  readonly suggestion?: string;
  /** The start-up check that found it (README, "Envoy's start-up checks"). */
  readonly check?: string;
}

export interface EnvoyCheckFile {
  /** As given. */
  readonly file: string;
  /** A bootstrap, or xDS resources (a DiscoveryResponse, as `path_config_source` reads). */
  readonly kind: 'bootstrap' | 'resources';
  /** What Envoy refuses. */
  readonly errors: readonly EnvoyCheckIssue[];
  /** What Envoy runs but says something about, or esteps sees as a likely mistake. */
  readonly warnings: readonly EnvoyCheckIssue[];
}

export interface EnvoyCheckOutcome {
  /** No file has an error (warnings allowed). */
  readonly ok: boolean;
  readonly files: readonly EnvoyCheckFile[];
}

/**
 * `esteps envoy check`: every problem Envoy would have with each file, checked against Envoy's
 * v3 API and its start-up checks (stacks/envoy/check-envoy.ts), without Envoy. A file that
 * cannot be read or parsed is an error of that file, so every file gets its answer. Prints
 * nothing; reads only the files it is given.
 */
export async function checkEnvoyFiles(input: EnvoyCheckInput): Promise<EnvoyCheckOutcome> {
  const files: EnvoyCheckFile[] = [];
  for (const file of input.files) {
    files.push(await checkFile(file, input));
  }
  return { ok: files.every((f) => f.errors.length === 0), files };
}

async function checkFile(file: string, input: EnvoyCheckInput): Promise<EnvoyCheckFile> {
  let text: string;
  try {
    text = await readFile(resolve(input.cwd, file), 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : (error as Error).message;
    return {
      file,
      kind: 'bootstrap',
      errors: [{ path: '', message: `cannot be read: ${reason}` }],
      warnings: [],
    };
  }
  const read = readEnvoyFile(text, file);
  const problems: EnvoyProblem[] = [
    ...read.problems,
    ...(read.value === undefined
      ? []
      : checkEnvoyDocument(read.value, read.kind, { policy: input.policy ?? false })),
  ];
  const issue = (p: EnvoyProblem): EnvoyCheckIssue => {
    const line = read.lineOf(p.path === '(bootstrap)' ? '' : p.path);
    return {
      path: p.path === '(bootstrap)' ? '' : p.path,
      ...(line !== undefined && p.path !== '' && { line }),
      message: p.message,
      ...(p.suggestion !== undefined && { suggestion: p.suggestion }),
      ...(p.check !== undefined && { check: p.check }),
    };
  };
  return {
    file,
    kind: read.kind,
    errors: problems.filter(isError).map(issue),
    warnings: problems.filter((p) => !isError(p)).map(issue),
  };
}
