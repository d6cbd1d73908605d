#!/usr/bin/env node
// The commands a developer runs most, as whole processes (from spawning to exit), side by
// side and interleaved round by round: `node -e 0` (the floor every Node.js command pays),
// `esteps --version` and `--help`, `npx esteps --version` from the clone, `esteps ps`
// against `docker-compose ps`, and a no-op `esteps up` against a no-op `docker-compose up -d`
// on projects that are up (the compose file is the one `esteps render -o` writes).
//
//   npm run build && node bench/commands-bench.mjs [--runs N] [--only start,ps,noop]
//     [--cli NAME=PATH/esteps.js ...] [--json]
//
// --runs: rounds (default 15). --cli (repeatable; default esteps=dist/esteps.js): several
// builds, each with a project of its own for ps and up. `npx esteps` runs this clone's own
// bin (npx installs the clone into its cache on the first call, which is made once first,
// unmeasured: the figure is a later call's). Everything made is removed at the end (down
// --volumes, docker-compose down -v and the compose project's secrets volume), also on
// failure, Ctrl-C or SIGTERM.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import {
  freePort,
  median,
  onCleanup,
  option,
  options,
  progress,
  root,
  runBench,
  upWithRetries,
} from './support.mjs';

const runs = Number(option('--runs', 15));
const only = new Set(option('--only', 'start,ps,noop').split(','));
const clis = (options('--cli').length > 0 ? options('--cli') : ['esteps=dist/esteps.js']).map(
  (spec) => {
    const [name, path] = spec.split('=');
    return { name, path: isAbsolute(path) ? path : join(root, path) };
  },
);
const tag = randomBytes(3).toString('hex');

/** Wall ms from spawning `file args` to its exit; throws when it fails. */
function timed(file, args, { cwd = root, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(file, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - start;
      if (code === 0) resolve(Math.round(ms * 10) / 10);
      else reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
    });
  });
}

/** The projects ps and up run against: one per esteps build, and docker-compose's. */
async function bringUp() {
  const projects = {};
  for (const [i, cli] of clis.entries()) {
    const name = `bench-cmd-${tag}-${i}`;
    const port = await freePort();
    onCleanup(async () => {
      await execa('node', [cli.path, 'down', '-p', name, '--volumes'], {
        cwd: root,
        reject: false,
      });
      await execa('docker', ['rmi', '-f', `esteps/${name}-usersvc:latest`], { reject: false });
    });
    progress(`commands: bringing up ${name} for ${cli.name} ...`);
    await upWithRetries(cli.path, name, port);
    projects[cli.name] = { name, env: { ESTEPS_USERSVC_PORT: String(port) } };
  }
  const name = `bench-cmd-${tag}-compose`;
  const dir = await mkdtemp(join(tmpdir(), 'esteps-bench-compose-'));
  const file = join(dir, 'docker-compose.yml');
  const env = { ESTEPS_USERSVC_PORT: String(await freePort()) };
  const compose = (...args) =>
    execa('docker-compose', ['-p', name, '-f', file, ...args], { env, reject: false });
  onCleanup(async () => {
    await compose('down', '-v', '--timeout', '10');
    // `esteps render` stored the project's secrets on the engine; compose does not know them.
    await execa('docker', ['volume', 'rm', `${name}.secrets`], { reject: false });
    await execa('docker', ['rmi', '-f', `esteps/${name}-usersvc:latest`], { reject: false });
    await rm(dir, { recursive: true, force: true });
  });
  await execa('node', [clis[0].path, 'render', '-p', name, '-o', file], { cwd: root, env });
  progress(`commands: bringing up ${name} with docker-compose ...`);
  const up = await compose('up', '-d', '--build');
  if (up.exitCode !== 0) throw new Error(`docker-compose up failed: ${up.stderr}`);
  projects.compose = { name, file, env };
  return projects;
}

async function main() {
  const cases = [];
  if (only.has('start')) {
    cases.push(['node -e 0', () => timed('node', ['-e', '0'])]);
    for (const c of clis) {
      cases.push([`${c.name} --version`, () => timed('node', [c.path, '--version'])]);
      cases.push([`${c.name} --help`, () => timed('node', [c.path, '--help'])]);
    }
    cases.push(['npx esteps --version', () => timed('npx', ['esteps', '--version'])]);
    // npx's first call in a clone installs it into npx's cache: made here, unmeasured.
    await timed('npx', ['esteps', '--version']);
  }
  if (only.has('ps') || only.has('noop')) {
    const projects = await bringUp();
    const compose = projects.compose;
    const composeArgs = ['-p', compose.name, '-f', compose.file];
    if (only.has('ps')) {
      for (const c of clis) {
        const p = projects[c.name];
        cases.push([`${c.name} ps`, () => timed('node', [c.path, 'ps', '-p', p.name], p)]);
      }
      cases.push([
        'docker-compose ps',
        () => timed('docker-compose', [...composeArgs, 'ps'], compose),
      ]);
    }
    if (only.has('noop')) {
      for (const c of clis) {
        const p = projects[c.name];
        cases.push([`${c.name} up (no-op)`, () => timed('node', [c.path, 'up', '-p', p.name], p)]);
      }
      cases.push([
        'docker-compose up -d (no-op)',
        () => timed('docker-compose', [...composeArgs, 'up', '-d'], compose),
      ]);
    }
  }
  const results = Object.fromEntries(cases.map(([name]) => [name, []]));
  const loads = [];
  for (let round = 1; round <= runs; round += 1) {
    loads.push(loadavg()[0]);
    for (const [name, run] of cases) results[name].push(await run());
    progress(
      `commands round ${round}/${runs}: ${cases.map(([n]) => `${n} ${results[n].at(-1)}`).join(', ')}`,
    );
  }
  const summary = Object.fromEntries(
    Object.entries(results).map(([name, all]) => [name, median(all)]),
  );
  // Round by round: esteps over docker-compose; --version and --help over `node -e 0`.
  const pairs = {};
  const pair = (a, b, f) => {
    if (results[a] && results[b])
      pairs[`${a} : ${b}`] = results[a].map((x, i) => f(x, results[b][i]));
  };
  for (const c of clis) {
    pair(`${c.name} ps`, 'docker-compose ps', (x, y) => x / y);
    pair(`${c.name} up (no-op)`, 'docker-compose up -d (no-op)', (x, y) => x / y);
    pair(`${c.name} --version`, 'node -e 0', (x, y) => x - y);
    pair(`${c.name} --help`, 'node -e 0', (x, y) => x - y);
  }
  pair('npx esteps --version', `${clis[0].name} --version`, (x, y) => x / y);
  const pairMedians = Object.fromEntries(Object.entries(pairs).map(([k, v]) => [k, median(v)]));
  return { runs, clis, loads, results, summary, pairs, pairMedians };
}

function text(r) {
  const lines = [
    `whole processes, ${r.runs} interleaved rounds, medians (ms); load ${Math.min(...r.loads).toFixed(1)} to ${Math.max(...r.loads).toFixed(1)}`,
    ...Object.entries(r.summary).map(([name, ms]) => `  ${name.padEnd(32)} ${ms}`),
    'round by round (ratio, or difference in ms for --version and --help), medians:',
    ...Object.entries(r.pairMedians).map(
      ([name, v]) => `  ${name.padEnd(48)} ${Math.round(v * 100) / 100}`,
    ),
  ];
  return lines.join('\n');
}

await runBench('commands', main, text);
