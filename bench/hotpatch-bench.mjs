#!/usr/bin/env node
// Changing the running service's code: `esteps hotpatch` against the tutorial's way (`docker
// cp` the bundled file onto /app/service.js, then `docker restart` the container), side by
// side in one run on one stack, interleaved, under the same steady load.
//
//   npm run build && node bench/hotpatch-bench.mjs [--rounds N] [--rate R]
//
// Per round and way, the code change is a new health message. Figures:
//   answered  ms from starting the way (spawning `esteps hotpatch`; or bundling, for the
//             tutorial's way) until GET /user/health answers with the new message and
//             `database: "up"` (a restarted service answers health before its database
//             pool is ready, and its user reads fail with 503 until then)
//   command   ms until the command(s) exited (esteps also reports its own `durationMs`)
//   failed    requests of the steady load (R GETs a second, default 200, open loop, half
//             /user/health and half a user read that touches Postgres, 2 s bound each) that
//             failed or did not answer 200, from 1 s before the change until 1 s after it
// The load and the polling go to the usersvc port published on 127.0.0.1 (through
// docker-proxy), nothing else. Bounded: each round stops its load after 60 s, the run
// brings up its own project (`bench-hotpatch-<random>`) and takes it down (`down --volumes`)
// at the end, also on failure or Ctrl-C.
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { Pool } from 'undici';
import { answeredAfter } from './answered-after.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/esteps.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('--rounds', 5);
const rate = arg('--rate', 200);
const project = `bench-hotpatch-${randomBytes(3).toString('hex')}`;
const source = join(root, '.esteps', `tmp-${project}`);
const container = `${project}-usersvc-1`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function esteps(args, env = {}) {
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

async function viaEsteps(base, message) {
  await setMessage(message);
  const start = performance.now();
  const answered = answeredAfter(base, message, start);
  const run = await esteps(['hotpatch', '-p', project, '--source', source, '--json']);
  const command = Math.round(performance.now() - start);
  if (run.exitCode !== 0) throw new Error(`esteps hotpatch failed: ${run.stdout}${run.stderr}`);
  const json = JSON.parse(run.stdout);
  const phases = { ...json.phases, ...json.replicas[0]?.phases };
  return { answered: await answered, command, reported: json.durationMs, phases };
}

async function viaRestart(base, message, bundleCode) {
  await setMessage(message);
  const start = performance.now();
  const entry = { entry: join(source, 'service', 'usersvc', 'main.ts'), target: 'node18' };
  const service = await bundleCode(entry, source);
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
  const command = Math.round(performance.now() - start);
  return {
    answered: await (answered ?? answeredAfter(base, () => true, start)),
    command,
    restartOnly,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? s[(s.length - 1) / 2]
    : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2);
};

async function main() {
  const { bundleCode } = await import(join(root, 'dist/cli/bundle/bundle-code.js'));
  await mkdir(source, { recursive: true });
  await cp(join(root, 'service'), join(source, 'service'), { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  process.stderr.write(`bringing up ${project} on ${base} ...\n`);
  const up = await esteps(['up', '-p', project], { ESTEPS_USERSVC_PORT: String(port) });
  if (up.exitCode !== 0) throw new Error(`esteps up failed: ${up.stderr}`);
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

  const results = { esteps: [], restart: [] };
  for (let round = 1; round <= rounds; round += 1) {
    for (const way of ['esteps', 'restart']) {
      const stop = startLoad(base, ['/user/health', '/user/bench-reader']);
      await sleep(1000);
      const message = `bench ${way} round ${round}`;
      const timing =
        way === 'esteps'
          ? await viaEsteps(base, message)
          : await viaRestart(base, message, bundleCode);
      await sleep(1000);
      const load = await stop();
      const row = { round, ...timing, ...load };
      results[way].push(row);
      const extra =
        way === 'esteps'
          ? ` (reports ${timing.reported} ms: ${JSON.stringify(timing.phases)})`
          : timing.restartOnly
            ? ' (read-only root: docker cp refused, restart only)'
            : '';
      process.stderr.write(
        `round ${round} ${way.padEnd(7)} answered ${timing.answered} ms, command ${timing.command} ms${extra}, failed ${load.failed}/${load.sent} ${JSON.stringify(load.failures)}\n`,
      );
    }
  }
  const summary = Object.fromEntries(
    Object.entries(results).map(([way, rows]) => [
      way,
      {
        answeredMs: {
          median: median(rows.map((r) => r.answered)),
          all: rows.map((r) => r.answered),
        },
        commandMs: { median: median(rows.map((r) => r.command)) },
        failed: rows.map((r) => r.failed),
        sent: rows.map((r) => r.sent),
      },
    ]),
  );
  const out = {
    project,
    rounds,
    rate,
    port,
    cores: (await import('node:os')).cpus().length,
    summary,
  };
  await mkdir(join(root, 'bench', 'results'), { recursive: true });
  await writeFile(
    join(root, 'bench', 'results', `hotpatch-${Date.now()}.json`),
    JSON.stringify({ ...out, results }, null, 2),
  );
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

let cleaning;
async function cleanup() {
  cleaning ??= (async () => {
    await esteps(['down', '-p', project, '--volumes']);
    await execa('docker', ['rmi', '-f', `esteps/${project}-usersvc:latest`], { reject: false });
    await rm(join(root, '.esteps', project), { recursive: true, force: true });
    await rm(source, { recursive: true, force: true });
  })();
  return cleaning;
}
process.on('SIGINT', () => {
  process.stderr.write('interrupted: taking the bench project down\n');
  void cleanup().then(() => process.exit(130));
});

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  process.stderr.write(`${err.stack ?? err}\n`);
} finally {
  await cleanup();
}
