import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  acceptedMutations,
  refusedMutations,
  textMutations,
} from '../../test/envoy-corpus/mutations.js';
import {
  corpusDir,
  corpusFigures,
  corpusFiles,
  type MutantResult,
  problemsOfText,
  runMutations,
} from '../../test/envoy-corpus/run-corpus.js';
import { formatEnvoyProblems, isError } from './check-envoy.js';

/**
 * The checker against Envoy's own configurations (test/envoy-corpus: envoyproxy/examples,
 * which Envoy's CI runs on Envoy, envoy's configs/, Envoy Gateway's rendered bootstraps) and
 * against a mutation set of changes Envoy refuses and changes it accepts, applied to each of
 * them (test/envoy-corpus/mutations.ts says why each verdict is Envoy's).
 */
const files = corpusFiles();

/** Refusals the checker is known to miss: it runs no Lua and knows no access log commands. */
const knownMisses = new Set(['lua-syntax-error', 'access-log-unknown-command']);

describe('the corpus of real configurations', () => {
  it.each(files.map((f) => [f.file, f] as const))('accepts %s', (_name, entry) => {
    const problems = problemsOfText(readFileSync(join(corpusDir, entry.file), 'utf8'), entry.file);
    expect(formatEnvoyProblems(problems.filter(isError))).toBe('');
  });

  it('holds every file its sources list names, with where it came from', () => {
    for (const entry of files) {
      expect(entry.repo).toMatch(/^envoyproxy\/(examples|envoy|gateway)$/);
      expect(entry.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(readFileSync(join(corpusDir, entry.file), 'utf8').length).toBeGreaterThan(0);
    }
    expect(readFileSync(join(corpusDir, 'LICENSE-APACHE-2.0'), 'utf8')).toContain('Apache License');
  });
});

describe('the mutation set', () => {
  let mutants: MutantResult[];
  beforeAll(() => {
    mutants = runMutations(files);
  }, 600_000);

  const refusedKinds = [...refusedMutations, ...textMutations.filter((m) => m.refused)].map(
    (m) => m.id,
  );
  const acceptedKinds = [...acceptedMutations, ...textMutations.filter((m) => !m.refused)].map(
    (m) => m.id,
  );

  it.each(acceptedKinds)('raises no error for "%s", which Envoy accepts', (kind) => {
    const ofKind = mutants.filter((m) => m.mutation === kind);
    expect(ofKind.length).toBeGreaterThan(0);
    expect(
      ofKind
        .filter((m) => m.newErrors.length > 0)
        .map((m) => `${m.file}: ${m.newErrors.join('; ')}`),
    ).toEqual([]);
  });

  it.each(refusedKinds.filter((k) => !knownMisses.has(k)))(
    'detects "%s", which Envoy refuses',
    (kind) => {
      const ofKind = mutants.filter((m) => m.mutation === kind);
      expect(ofKind.length).toBeGreaterThan(0);
      expect(ofKind.filter((m) => m.newErrors.length === 0).map((m) => m.file)).toEqual([]);
    },
  );

  it('misses what it cannot know, and says so in the README', () => {
    for (const kind of knownMisses) {
      const ofKind = mutants.filter((m) => m.mutation === kind);
      expect(ofKind.length, kind).toBeGreaterThan(0);
      expect(
        ofKind.every((m) => m.newErrors.length === 0),
        kind,
      ).toBe(true);
    }
  });

  it('detects at least 99% of what Envoy refuses, with no false alarm; the README states the figures', () => {
    const figures = corpusFigures(files, mutants);
    console.info('envoy corpus figures', figures);
    expect(figures.accepted).toBe(figures.files);
    expect(figures.detected / figures.refusedMutants).toBeGreaterThanOrEqual(0.99);
    expect(figures.falseAlarms).toBe(0);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`${figures.accepted} of ${figures.files} real configurations`);
    expect(readme).toContain(
      `${figures.runByEnvoyCiAccepted} of the ${figures.runByEnvoyCi} that Envoy's CI runs`,
    );
    expect(readme).toContain(
      `${figures.detected} of ${figures.refusedMutants} mutations Envoy refuses`,
    );
    expect(readme).toContain(
      `${figures.falseAlarms} false alarms on ${figures.acceptedMutants} mutations Envoy accepts`,
    );
    expect(readme).toContain(`${figures.mutationKinds} kinds of mutation`);
  });
});
