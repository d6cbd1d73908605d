import { ConfigInvalidError, type ConfigProblem } from '../model/errors.js';
import { isEstepsVariable, isKnownVariable, knownVariables } from '../model/known-variables.js';
import { didYouMean } from '../validate/suggest.js';

/**
 * `.env` files, as docker compose reads them: `KEY=VALUE` lines, `#` comments, blank lines,
 * values optionally in single or double quotes (double quotes understand `\n`, `\"`, `\\`),
 * and ` #` starting a comment after an unquoted value. A later line wins over an earlier one.
 *
 * Keys starting with `ESTEPS_` must be variables esteps knows (stacks/variables.ts), so a typo
 * such as `ESTEPS_POSTGRES_IMAG` is an error rather than an override that silently does
 * nothing. Other keys pass through: docker compose may use them.
 */
export interface EnvFileParse {
  readonly entries: Readonly<Record<string, string>>;
  readonly problems: readonly ConfigProblem[];
}

const keyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `stackEnvVariables`: variables the stack reads (`{ env: ... }`), known besides esteps' own. */
export function parseEnvFile(
  text: string,
  stackEnvVariables: readonly string[] = [],
): EnvFileParse {
  const entries: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) {
      problems.push({ line, message: `expected KEY=VALUE, found "${clip(trimmed)}"` });
      return;
    }
    const key = trimmed.slice(0, eq).trim();
    if (!keyPattern.test(key)) {
      problems.push({ line, key, message: `"${clip(key)}" is not a valid variable name` });
      return;
    }
    const value = parseValue(trimmed.slice(eq + 1).trim());
    if (value === undefined) {
      problems.push({ line, key, message: `${key}: the value's opening quote is never closed` });
      return;
    }
    if (isEstepsVariable(key) && !isKnownVariable(key) && !stackEnvVariables.includes(key)) {
      problems.push({
        line,
        key,
        message: `unknown variable ${key}${didYouMean(key, [...knownVariables, ...stackEnvVariables])}`,
      });
      return;
    }
    entries[key] = value;
  });
  return { entries, problems };
}

/** Parses `.env` text and throws one CONFIG_INVALID error listing every bad line. */
export function readEnvFile(
  text: string,
  source = '.env',
  stackEnvVariables: readonly string[] = [],
): Readonly<Record<string, string>> {
  const { entries, problems } = parseEnvFile(text, stackEnvVariables);
  if (problems.length > 0) {
    throw new ConfigInvalidError(
      source,
      problems,
      `Fix or remove the lines listed in ${source}; known esteps variables: ${knownVariables.join(', ')}, ESTEPS_SECRET_*.`,
    );
  }
  return entries;
}

function parseValue(rest: string): string | undefined {
  const quote = rest[0];
  if (quote === '"' || quote === "'") {
    const end = findClosingQuote(rest, quote);
    if (end < 0) return undefined;
    const inner = rest.slice(1, end);
    return quote === "'" ? inner : inner.replace(/\\([n"\\])/g, (_, c) => (c === 'n' ? '\n' : c));
  }
  const comment = rest.search(/\s#/);
  return (comment < 0 ? rest : rest.slice(0, comment)).trimEnd();
}

function findClosingQuote(text: string, quote: string): number {
  for (let i = 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

/**
 * Writes `entries` into `.env` text, keeping every other line of `existing` as it was:
 * keys that already have a line get their value replaced in place, new keys are appended.
 */
export function mergeEnvFile(existing: string, entries: Readonly<Record<string, string>>): string {
  const pending = new Map(Object.entries(entries));
  const lines = existing === '' ? [] : existing.replace(/\r?\n$/, '').split(/\r?\n/);
  const out = lines.map((raw) => {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(raw);
    const key = match?.[1];
    if (key === undefined || !pending.has(key)) return raw;
    const line = formatEnvLine(key, pending.get(key)!);
    pending.delete(key);
    return line;
  });
  for (const [key, value] of [...pending].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(formatEnvLine(key, value));
  }
  return `${out.join('\n')}\n`;
}

function formatEnvLine(key: string, value: string): string {
  if (/^[A-Za-z0-9_./:@+,-]*$/.test(value)) return `${key}=${value}`;
  return `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
