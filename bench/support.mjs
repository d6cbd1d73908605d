// What every bench shares: its options, progress on stderr, medians, free ports, and a
// clean-up that runs once whatever ends the bench (its end, an error, Ctrl-C, SIGTERM from
// bench/all.mjs).
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);

/** The value after `--name`, or `fallback`. */
export function option(name, fallback) {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
}

/** Every value given after a repeatable `--name`. */
export function options(name) {
  return argv.flatMap((a, i) => (a === name && i + 1 < argv.length ? [argv[i + 1]] : []));
}

export function flag(name) {
  return argv.includes(name);
}

/** `--json`: stdout carries one JSON document, and nothing else. */
export const json = flag('--json');

export function progress(line) {
  process.stderr.write(`${line}\n`);
}

/** The middle value (the mean of the two middle ones for an even count), or undefined. */
export function median(values) {
  const s = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `step` made to run at most once (a clean-up both a `finally` and the end may call). */
export function once(step) {
  let ran;
  return () => {
    ran ??= Promise.resolve().then(step);
    return ran;
  };
}

const cleanups = [];
let cleaning;

/** Registers a clean-up step; they run last-registered first, each once, errors ignored. */
export function onCleanup(step) {
  cleanups.push(step);
}

export function cleanUp() {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      try {
        await cleanups.pop()();
      } catch (err) {
        progress(`clean-up step failed: ${err.message ?? err}`);
      }
    }
  })();
  return cleaning;
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.on(signal, () => {
    progress(`${signal}: cleaning up`);
    void cleanUp().then(() => process.exit(code));
  });
}

/**
 * Runs the bench's `main`, then its clean-up whatever happened; prints `main`'s result
 * with `text(result)` (or as JSON with --json) and keeps it in bench/results/.
 */
export async function runBench(name, main, text) {
  const started = new Date().toISOString();
  try {
    const result = { bench: name, started, ...(await main()) };
    await mkdir(join(root, 'bench', 'results'), { recursive: true });
    await writeFile(
      join(root, 'bench', 'results', `${name}-${started.replace(/[:.]/g, '-')}.json`),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${text(result)}\n`);
  } catch (err) {
    process.exitCode = 1;
    progress(`${name} failed: ${err.stack ?? err}`);
  } finally {
    await cleanUp();
  }
}

/**
 * `esteps up`, again after a failure (up to 3 times): on a machine loaded by other work the
 * service can miss its start-up bound, and the next `up` finishes the job.
 */
export async function upWithRetries(cli, name, port, env = {}) {
  for (let attempt = 1; ; attempt += 1) {
    const up = await execa('node', [cli, 'up', '-p', name], {
      cwd: root,
      env: { ESTEPS_USERSVC_PORT: String(port), ...env },
      reject: false,
      timeout: 300_000,
    });
    if (up.exitCode === 0) return;
    if (attempt === 3) throw new Error(`esteps up failed 3 times: ${up.stderr}`);
    progress(`esteps up failed (attempt ${attempt}), again: ${up.stderr.split('\n').at(-3)}`);
  }
}
