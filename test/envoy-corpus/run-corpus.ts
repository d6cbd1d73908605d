import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkEnvoyDocument, type EnvoyProblem, isError } from '../../stacks/envoy/check-envoy.js';
import { readEnvoyFile } from '../../stacks/envoy/envoy-config-file.js';
import type { JsonObject } from './corpus-sites.js';
import { acceptedMutations, refusedMutations, textMutations } from './mutations.js';

export const corpusDir = fileURLToPath(new URL('.', import.meta.url));

export interface CorpusFile {
  readonly file: string;
  readonly repo: string;
  readonly commit: string;
  readonly path: string;
  /** Envoy's own CI runs it on Envoy (envoyproxy/examples' verify scripts, envoy's configs/ test). */
  readonly runByEnvoyCi: boolean;
}

export function corpusFiles(): CorpusFile[] {
  return (
    JSON.parse(readFileSync(join(corpusDir, 'sources.json'), 'utf8')) as { files: CorpusFile[] }
  ).files;
}

/** Every problem of a file's text, as `esteps envoy check` finds them (no policy). */
export function problemsOfText(text: string, name: string): EnvoyProblem[] {
  const read = readEnvoyFile(text, name);
  return [
    ...read.problems,
    ...(read.value === undefined ? [] : checkEnvoyDocument(read.value, read.kind)),
  ];
}

const errorKeys = (problems: readonly EnvoyProblem[]) =>
  new Set(problems.filter(isError).map((p) => `${p.path}: ${p.message}`));

/** One mutated configuration and what the checker made of it. */
export interface MutantResult {
  readonly file: string;
  readonly mutation: string;
  readonly refused: boolean;
  /** Errors the mutant has that the file had not. */
  readonly newErrors: readonly string[];
}

/**
 * Every mutation applied to every corpus file that has a place for it, each checked against
 * the file's own result: a mutation Envoy refuses is detected when it brings a new error; one
 * Envoy accepts is a false alarm when it does.
 */
export function runMutations(files: readonly CorpusFile[] = corpusFiles()): MutantResult[] {
  const results: MutantResult[] = [];
  for (const entry of files) {
    const text = readFileSync(join(corpusDir, entry.file), 'utf8');
    const read = readEnvoyFile(text, entry.file);
    if (read.kind !== 'bootstrap' || read.value === undefined) continue;
    const baseline = errorKeys(checkEnvoyDocument(read.value, 'bootstrap'));
    const fresh = (keys: Set<string>) => [...keys].filter((k) => !baseline.has(k));
    for (const mutation of [...refusedMutations, ...acceptedMutations]) {
      const config = structuredClone(read.value) as JsonObject;
      if (!mutation.apply(config)) continue;
      const found = errorKeys(checkEnvoyDocument(config, 'bootstrap'));
      results.push({
        file: entry.file,
        mutation: mutation.id,
        refused: mutation.refused,
        newErrors: fresh(found),
      });
    }
    for (const mutation of textMutations) {
      const changed = mutation.apply(text);
      if (changed === undefined) continue;
      const found = errorKeys(problemsOfText(changed, entry.file));
      results.push({
        file: entry.file,
        mutation: mutation.id,
        refused: mutation.refused,
        newErrors: fresh(found),
      });
    }
  }
  return results;
}

/** The figures the README states. */
export interface CorpusFigures {
  readonly files: number;
  readonly accepted: number;
  readonly runByEnvoyCi: number;
  readonly runByEnvoyCiAccepted: number;
  readonly refusedMutants: number;
  readonly detected: number;
  readonly acceptedMutants: number;
  readonly falseAlarms: number;
  readonly mutationKinds: number;
}

export function corpusFigures(
  files: readonly CorpusFile[],
  mutants: readonly MutantResult[],
): CorpusFigures {
  const clean = files.filter((f) => {
    const text = readFileSync(join(corpusDir, f.file), 'utf8');
    return problemsOfText(text, f.file).filter(isError).length === 0;
  });
  const refused = mutants.filter((m) => m.refused);
  const accepted = mutants.filter((m) => !m.refused);
  return {
    files: files.length,
    accepted: clean.length,
    runByEnvoyCi: files.filter((f) => f.runByEnvoyCi).length,
    runByEnvoyCiAccepted: clean.filter((f) => f.runByEnvoyCi).length,
    refusedMutants: refused.length,
    detected: refused.filter((m) => m.newErrors.length > 0).length,
    acceptedMutants: accepted.length,
    falseAlarms: accepted.filter((m) => m.newErrors.length > 0).length,
    mutationKinds: refusedMutations.length + acceptedMutations.length + textMutations.length,
  };
}
