#!/usr/bin/env node
// `npm run bench`: every side-by-side comparison of the README's Speed table, in one run on
// this machine, and one table of medians and ratios with the machine's load, the date and
// the commit. Each comparison is a bench of its own, run here one after the other:
//
//   start     esteps --version and --help against `node -e 0`; `npx esteps --version`
//             against `esteps --version` (commands-bench.mjs)
//   ps        esteps ps against docker-compose ps (commands-bench.mjs)
//   noop      a no-op esteps up against a no-op docker-compose up -d (commands-bench.mjs)
//   up        up cold, cold with every layer cached, warm, no-op against docker-compose
//             (up-bench.mjs)
//   hotpatch  a one-shot esteps hotpatch as a whole process under 200 req/s, against the
//             tutorial's restart (hotpatch-bench.mjs)
//   watch     esteps watch, from a save to the new code answering (watch-bench.mjs)
//   service   the user service's health, lookup, create and login against a bare server and
//             against a fastify + pg peer in the same image (service-bench.mjs)
//   swarm     up --swarm cold and no-op, and a rolling update, against docker stack deploy,
//             when a test Swarm of this checkout is up (`npm run swarm:up`; swarm-bench.mjs)
//
//   npm run build && npm run bench [-- --only case,...] [--runs N] [--baseline DIR] [--json]
//
// --runs N: rounds of every comparison (each bench's own default otherwise: start, ps, noop
// 15; up 3; hotpatch 5; watch 6 edits; service 3; swarm 3). --baseline DIR: also runs the
// build in DIR (a checkout of the code before a change, built: DIR/dist/esteps.js) beside
// this one in every esteps case, interleaved, and its service beside this one's.
// Progress goes to stderr, the table to stdout (--json: one JSON document instead).
// Each bench removes what it made, also when interrupted: Ctrl-C or SIGTERM reaches the
// running bench, which cleans up, and then this exits. Raw results: bench/results/.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { allCases, tableRows } from './all-table.mjs';
import { flag, json, median, option, progress, root } from './support.mjs';
import { swarmLeftovers } from './swarm-leftovers.mjs';

const only = new Set(option('--only', allCases.join(',')).split(','));
const runs = option('--runs', undefined);
const baseline = option('--baseline', undefined);
for (const name of only) {
  if (!allCases.includes(name)) {
    progress(`unknown case "${name}"; cases: ${allCases.join(', ')}`);
    process.exit(2);
  }
}
if (baseline && !existsSync(join(resolve(baseline), 'dist', 'esteps.js'))) {
  progress(`--baseline ${baseline}: no dist/esteps.js there (build it first: npm run build)`);
  process.exit(2);
}
const clis = ['--cli', 'esteps=dist/esteps.js'].concat(
  baseline ? ['--cli', `before=${join(resolve(baseline), 'dist', 'esteps.js')}`] : [],
);

let current;
let interrupted = false;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    progress(`${signal}: the running bench cleans up, then bench/all.mjs ends`);
    if (!current) process.exit(code);
    current.stop();
    void current.done.finally(() => process.exit(code));
  });
}

/**
 * Runs `bench/<file> --json ...args`; its progress passes through to stderr, its stdout is
 * the JSON document. `own group`: the bench gets no Ctrl-C from the terminal (it cannot
 * clean up after one) and is stopped with SIGKILL, then cleaned up after by `afterKill`.
 */
function runChild(file, args, { env = {}, ownGroup = false, afterKill } = {}) {
  const child = spawn('node', [join(root, 'bench', file), '--json', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: ownGroup,
  });
  let out = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  let killed = false;
  const done = new Promise((resolveDone) => {
    child.on('exit', async (code) => {
      if (killed && afterKill) await afterKill().catch(() => undefined);
      resolveDone(code);
    });
  });
  current = {
    done,
    stop: () => {
      killed = true;
      child.kill(ownGroup ? 'SIGKILL' : 'SIGTERM');
    },
  };
  return done.then((code) => {
    current = undefined;
    if (code !== 0) throw new Error(`${file} exited ${code}`);
    return JSON.parse(out.trim().split('\n').at(-1));
  });
}

/** The test Swarm of this checkout whose manager answers, or undefined. */
async function testSwarm() {
  const dir = join(root, '.esteps', 'swarm');
  for (const f of await readdir(dir).catch(() => [])) {
    if (!f.endsWith('.json')) continue;
    const facts = JSON.parse(await readFile(join(dir, f), 'utf8'));
    const info = await execa(
      'docker',
      ['-H', facts.dockerHost, 'info', '--format', '{{.Swarm.ControlAvailable}}'],
      {
        reject: false,
        timeout: 10_000,
      },
    );
    if (info.stdout.trim() === 'true') return facts;
  }
  return undefined;
}

const rounds = (own) => ['--runs', String(runs ?? own)];

/** The benches to run for the cases asked, each once. */
function plan() {
  const steps = [];
  const commandCases = ['start', 'ps', 'noop'].filter((c) => only.has(c));
  if (commandCases.length > 0) {
    steps.push({
      key: 'commands',
      run: () =>
        runChild('commands-bench.mjs', [...rounds(15), '--only', commandCases.join(','), ...clis]),
    });
  }
  if (only.has('up')) {
    steps.push({ key: 'up', run: () => runChild('up-bench.mjs', [...rounds(3), ...clis]) });
  }
  if (only.has('hotpatch')) {
    steps.push({
      key: 'hotpatch',
      run: () =>
        runChild('hotpatch-bench.mjs', ['--rounds', String(runs ?? 5), '--rate', '200', ...clis]),
    });
  }
  if (only.has('watch')) {
    steps.push({
      key: 'watch',
      run: () => runChild('watch-bench.mjs', ['--edits', String(runs ?? 6), ...clis]),
    });
  }
  if (only.has('service')) {
    const args = ['--rounds', String(runs ?? 3), '--paths', 'bridge', '--workers', '2'];
    if (baseline) args.push('--baseline', resolve(baseline));
    steps.push({ key: 'service', run: () => runChild('service-bench.mjs', args) });
  }
  if (only.has('swarm')) {
    steps.push({
      key: 'swarm',
      run: async () => {
        const facts = await testSwarm();
        if (!facts) {
          return { skipped: 'no test Swarm of this checkout is up (npm run swarm:up)' };
        }
        const before = await swarmLeftovers(facts);
        return runChild('swarm-bench.mjs', rounds(3), {
          env: { DOCKER_HOST: facts.dockerHost, ESTEPS_REGISTRY: facts.registry },
          ownGroup: true,
          afterKill: () => before.removeNew(),
        });
      },
    });
  }
  return steps;
}

async function machine() {
  const commit = await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, reject: false });
  const dirty = await execa('git', ['status', '--porcelain', '--untracked-files=no'], {
    cwd: root,
    reject: false,
  });
  const engine = await execa('docker', ['version', '--format', '{{.Server.Version}}'], {
    reject: false,
  });
  return {
    commit: `${commit.stdout.trim()}${dirty.stdout.trim() ? ' (with uncommitted changes)' : ''}`,
    node: process.version,
    engine: engine.stdout.trim(),
    cores: cpus().length,
  };
}

async function main() {
  const started = new Date();
  const loads = [loadavg()[0]];
  const sampler = setInterval(() => loads.push(loadavg()[0]), 5000);
  const raw = {};
  const failures = {};
  for (const step of plan()) {
    if (interrupted) break;
    const t0 = Date.now();
    progress(`== ${step.key} (${new Date().toISOString()}, load ${loadavg()[0].toFixed(1)})`);
    try {
      raw[step.key] = await step.run();
    } catch (err) {
      if (interrupted) break;
      failures[step.key] = err.message;
      progress(`== ${step.key} failed: ${err.message}`);
    }
    progress(`== ${step.key} took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  clearInterval(sampler);
  loads.push(loadavg()[0]);
  const meta = {
    started: started.toISOString(),
    ended: new Date().toISOString(),
    ...(await machine()),
    load: { min: Math.min(...loads), median: median(loads), max: Math.max(...loads) },
    baseline: baseline ? resolve(baseline) : undefined,
  };
  const rows = tableRows(raw, { baseline: Boolean(baseline), only });
  const document = { meta, rows, failures, raw };
  await mkdir(join(root, 'bench', 'results'), { recursive: true });
  await writeFile(
    join(root, 'bench', 'results', `all-${meta.started.replace(/[:.]/g, '-')}.json`),
    `${JSON.stringify(document, null, 2)}\n`,
  );
  if (json) {
    process.stdout.write(`${JSON.stringify(document)}\n`);
    return;
  }
  const { formatTable } = await import('./all-table.mjs');
  process.stdout.write(`${formatTable(meta, rows, failures)}\n`);
}

if (flag('--help')) {
  progress('usage: node bench/all.mjs [--only case,...] [--runs N] [--baseline DIR] [--json]');
  progress(`cases: ${allCases.join(', ')}`);
} else {
  await main();
}
