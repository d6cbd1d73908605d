#!/usr/bin/env node
// Changing the running service's code: a one-shot `esteps hotpatch` as the user waits for it
// (from starting the process to its exit), next to the tutorial's way (`docker cp` the bundled
// file onto /app/service.js, then `docker restart` the container), side by side in one run on
// one stack, interleaved, under the same steady load.
//
//   npm run build && node bench/hotpatch-bench.mjs [--rounds N] [--rate R] [--warmup N]
//     [--cli NAME=PATH/esteps.js ...] [--no-restart] [--json]
//
// --cli (repeatable; default esteps=dist/esteps.js) patches with each CLI in turn in every
// round, e.g. this checkout against a build of the code before a change
// (`--cli now=dist/esteps.js --cli before=/tmp/base/dist/esteps.js`). Each CLI first patches
// --warmup times (default 1) unmeasured: what a CLI caches between runs is then in place, as
// on a developer's machine after the first patch. Per round and way, the code change is a new
// health message. Figures:
//   exited    ms from spawning `node CLI hotpatch` until the process exited, every replica
//             serving the new code (the command returns only then): what the user waits for
//   answered  ms from the same start until GET /user/health answers with the new message and
//             `database: "up"` (for the tutorial's way: from bundling; a restarted service
//             answers health before its pool is ready, and its reads fail with 503 until then)
//   reported  the command's own `durationMs` (from the project loaded to the last replica
//             serving), and its phases
//   failed    requests of the steady load (R GETs a second, default 200, open loop, half
//             /user/health and half a user read that touches Postgres, 2 s bound each) that
//             failed or did not answer 200, from 1 s before the change until 1 s after it
// The load and the polling go to the usersvc port published on 127.0.0.1 (through
// docker-proxy), nothing else. Bounded: each round stops its load after 60 s; the run brings
// up its own project (`bench-hotpatch-<random>`) with the first CLI and takes it down
// (`down --volumes`) at the end, also on failure, Ctrl-C or SIGTERM.
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import { Pool } from 'undici';
import { answeredAfter } from './answered-after.mjs';
import {
  flag,
  freePort,
  median,
  onCleanup,
  option,
  options,
  progress,
  root,
  runBench,
  sleep,
  upWithRetries,
} from './support.mjs';

const rounds = Number(option('--rounds', 5));
const rate = Number(option('--rate', 200));
const warmup = Number(option('--warmup', 1));
const withRestart = !flag('--no-restart');
const clis = (options('--cli').length > 0 ? options('--cli') : ['esteps=dist/esteps.js']).map(
  (spec) => {
    const [name, path] = spec.split('=');
    return { name, path: isAbsolute(path) ? path : join(root, path) };
  },
);
const project = `bench-hotpatch-${randomBytes(3).toString('hex')}`;
const source = join(root, '.esteps', `tmp-${project}`);
const container = `${project}-usersvc-1`;

function esteps(cli, args, env = {}) {
  return execa('node', [cli, ...args], { cwd: root, env, reject: false, timeout: 300_000 });
}

async function setMessage(message) {
  const file = join(source, 'service', 'usersvc', 'app.ts');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace(/msg: '[^']*'/, `msg: '${message}'`));
}

/** Open-loop load: `rate` GETs a second on keep-alive connections; counts what failed. */
function startLoad(base, paths) {
  const pool = new Pool(base, { connections: 32 });
  const started = performance.now();
  const inflight = new Set();
  const failures = new Map();
  let sent = 0;
  let failed = 0;
  const fire = () => {
    const path = paths[sent % paths.length];
    sent += 1;
    const p = pool
      .request({ path, method: 'GET', headersTimeout: 2000, bodyTimeout: 2000 })
      .then(async (res) => {
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      })
      .catch((err) => {
        failed += 1;
        const key = err.code ?? err.message;
        failures.set(key, (failures.get(key) ?? 0) + 1);
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  const timer = setInterval(() => {
    const elapsed = performance.now() - started;
    if (elapsed > 60_000) return clearInterval(timer);
    const due = Math.floor((elapsed / 1000) * rate);
    while (sent < due) fire();
  }, 5);
  return async () => {
    clearInterval(timer);
    await Promise.all(inflight);
    await pool.close();
    return { sent, failed, failures: Object.fromEntries(failures) };
  };
}

async function viaEsteps(cli, base, message) {
  await setMessage(message);
  const start = performance.now();
  const answered = answeredAfter(base, message, start);
  const run = await esteps(cli, ['hotpatch', '-p', project, '--source', source, '--json']);
  const exited = Math.round(performance.now() - start);
  if (run.exitCode !== 0) throw new Error(`esteps hotpatch failed: ${run.stdout}${run.stderr}`);
  const json = JSON.parse(run.stdout);
  const phases = { ...json.phases, ...json.replicas[0]?.phases };
  return { exited, answered: await answered, reported: json.durationMs, phases };
}

/** The bundle cache's folder function of the build under test (loaded in main). */
let cacheRoot;

async function viaRestart(base, message, bundleCode) {
  await setMessage(message);
  const start = performance.now();
  const entry = { entry: join(source, 'service', 'usersvc', 'main.ts'), target: 'node18' };
  const service = await bundleCode(entry, source, { cacheDir: cacheRoot(process.env) });
  const file = join(source, 'service.js');
  await writeFile(file, service);
  const copied = await execa('docker', ['cp', file, `${container}:/app/service.js`], {
    reject: false,
  });
  // The hardened container's root filesystem is read-only: `docker cp` cannot deliver the
  // code at all (and a tmpfs does not survive the restart). What is left to compare is the
  // restart itself: until health answers again with its database up, on the old code.
  const restartOnly = copied.exitCode !== 0 && /read-only/.test(copied.stderr);
  if (copied.exitCode !== 0 && !restartOnly) throw new Error(copied.stderr);
  // Restart only: polled from the moment `docker restart` returns (a restarted container
  // has the same pids), so the figure may be a few ms late.
  const answered = restartOnly ? undefined : answeredAfter(base, message, start);
  await execa('docker', ['restart', container]);
  const exited = Math.round(performance.now() - start);
  return {
    answered: await (answered ?? answeredAfter(base, () => true, start)),
    exited,
    restartOnly,
  };
}

/** One way's change under load, from 1 s before it to 1 s after it. */
async function measured(base, change) {
  const stop = startLoad(base, ['/user/health', '/user/bench-reader']);
  await sleep(1000);
  const load1 = loadavg()[0];
  const timing = await change();
  await sleep(1000);
  return { ...timing, ...(await stop()), load1 };
}

async function main() {
  const { bundleCode } = await import(join(root, 'dist/cli/bundle/bundle-code.js'));
  ({ cacheRoot } = await import(join(root, 'dist/cli/bundle/build-cache.js')));
  onCleanup(async () => {
    await esteps(clis[0].path, ['down', '-p', project, '--volumes']);
    await execa('docker', ['rmi', '-f', `esteps/${project}-usersvc:latest`], { reject: false });
    await rm(join(root, '.esteps', project), { recursive: true, force: true });
    await rm(source, { recursive: true, force: true });
  });
  await mkdir(source, { recursive: true });
  await cp(join(root, 'service'), join(source, 'service'), { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  progress(`hotpatch: bringing up ${project} on ${base} ...`);
  await upWithRetries(clis[0].path, project, port);
  // A user to read under load, so that half the requests go through Postgres.
  const pool = new Pool(base);
  const put = await pool.request({
    path: '/user/bench-reader',
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fullname: 'Bench Reader', password: 'bench-password-1' }),
  });
  await put.body.dump();
  await pool.close();
  if (put.statusCode !== 201) throw new Error(`creating the bench user answered ${put.statusCode}`);
  for (const cli of clis) {
    for (let i = 1; i <= warmup; i += 1) {
      await viaEsteps(cli.path, base, `bench warm-up ${cli.name} ${i}`);
    }
  }

  const ways = [...clis.map((c) => c.name), ...(withRestart ? ['restart'] : [])];
  const results = Object.fromEntries(ways.map((w) => [w, []]));
  for (let round = 1; round <= rounds; round += 1) {
    for (const way of ways) {
      const message = `bench ${way} round ${round} ${Date.now()}`;
      const cli = clis.find((c) => c.name === way);
      const row = await measured(base, () =>
        cli ? viaEsteps(cli.path, base, message) : viaRestart(base, message, bundleCode),
      );
      results[way].push({ round, ...row });
      const extra = cli
        ? ` (reports ${row.reported} ms: ${JSON.stringify(row.phases)})`
        : row.restartOnly
          ? ' (read-only root: docker cp refused, restart only)'
          : '';
      progress(
        `hotpatch round ${round} ${way.padEnd(8)} exited ${row.exited} ms, answered ${row.answered} ms${extra}, failed ${row.failed}/${row.sent} ${JSON.stringify(row.failures)}, load ${row.load1.toFixed(1)}`,
      );
    }
  }
  const summary = Object.fromEntries(
    Object.entries(results).map(([way, rows]) => [
      way,
      {
        exitedMs: median(rows.map((r) => r.exited)),
        answeredMs: median(rows.map((r) => r.answered)),
        reportedMs: median(rows.map((r) => r.reported)),
        exited: rows.map((r) => r.exited),
        answered: rows.map((r) => r.answered),
        failed: rows.reduce((n, r) => n + r.failed, 0),
        sent: rows.reduce((n, r) => n + r.sent, 0),
      },
    ]),
  );
  // Interleaved pairs: each CLI's exit time over the first CLI's, round by round.
  const pairs = Object.fromEntries(
    clis
      .slice(1)
      .map((c) => [
        `${c.name}/${clis[0].name}`,
        results[c.name].map((r, i) => r.exited / results[clis[0].name][i].exited),
      ]),
  );
  return { project, rounds, rate, warmup, cores: cpus().length, clis, summary, pairs, results };
}

function text(r) {
  const lines = [
    `one-shot hot patch under ${r.rate} req/s, ${r.rounds} interleaved rounds, medians (ms):`,
    '| way | exited | answered | reported | failed/sent | all exited |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const [way, s] of Object.entries(r.summary)) {
    lines.push(
      `| ${way} | ${s.exitedMs} | ${s.answeredMs} | ${s.reportedMs ?? ''} | ${s.failed}/${s.sent} | ${s.exited.join(', ')} |`,
    );
  }
  for (const [pair, ratios] of Object.entries(r.pairs)) {
    lines.push(
      `${pair}, exited, round by round: ${ratios.map((x) => x.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)})`,
    );
  }
  return lines.join('\n');
}

await runBench('hotpatch', main, text);
