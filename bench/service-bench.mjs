#!/usr/bin/env node
// Throughput and latency of the user service in a container on the engine, next to a bare
// Node.js HTTP server answering a fixed JSON body, in the same run, on the same image and
// runtime.
//
//   npm run build && node bench/service-bench.mjs [--duration S] [--rounds R] [--connections C]
//     [--paths bridge,published] [--hash-connections H] [--hash-duration HS]
//     [--workers W] [--scenarios get,health,put,login,bare]
//
// --workers W (default: the image's SERVICE_WORKERS, 2) runs the service with W workers and
// the bare server as W node:cluster workers behind one primary, as the service's supervisor
// does, so both sides run the same number of processes (W=1: one bare process, no cluster).
// --scenarios runs only those (the bare server always runs).
// The fastify + pg peer (bench/fastify-peer.mjs: the same API written with fastify and pg,
// bundled with them into one file by esbuild) runs in a container of the same image, with as
// many processes, against the same Postgres and table, for every scenario the service runs
// (--no-peer leaves it out): health, GET, PUT and login side by side, ratios round by round.
// --json prints one JSON document on stdout (progress stays on stderr).
// --baseline DIR also runs the service built from another checkout (DIR/service/usersvc/main.ts, or DIR/service/main.ts, for
// instance a worktree of main) in a container of its own, beside this one, for its health and
// GET scenarios: before and after measured side by side in one run.
//
// Scenarios (autocannon, C keep-alive connections, default 50, S seconds each, default 5,
// after a 2 s warm-up in the first round): bare server GET; GET /user/health;
// GET /user/<existing>; PUT of a new user per request; POST /user/<existing>/login with the
// right password. PUT and login wait on one scrypt hash each (about 0.4 s of a core at
// N=2^17), so they run with H connections (default 4, twice the hashes the service runs at
// once) for HS seconds (default 10). Next to them, the machine's own limit, measured in the
// same rounds: raw scrypt at the parameters the service stored (read back from Postgres), in
// a container of the same image and runtime, one hash at a time (hashes/s per core) and two
// at a time (the service's concurrency), HS seconds each. The scenarios run interleaved,
// R rounds (default 3), and the table shows
// each one's median round, so a busy neighbour on the machine hits all of them alike. Each runs
// against the container's bridge address (no docker-proxy) and/or its port published on
// 127.0.0.1 (through docker-proxy); the table says which figure used which. Nothing else
// is a target. The run builds its own image from templates/usersvc (legacy builder), starts
// Postgres from ESTEPS_POSTGRES_IMAGE, labels everything com.esteps.test=<run id>, and
// removes it all at the end, also on failure or Ctrl-C. Results also go to bench/results/.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { cacheRoot } from '../dist/cli/bundle/build-cache.js';
import { bundleAll } from '../dist/cli/bundle/bundle-code.js';
import { codeVersion } from '../dist/service/supervisor/contract.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const autocannon = createRequire(import.meta.url)('autocannon');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const durationS = Number(arg('--duration', '5'));
const rounds = Number(arg('--rounds', '3'));
const connections = Number(arg('--connections', '50'));
const paths = arg('--paths', 'bridge,published').split(',');
const hashConnections = Number(arg('--hash-connections', '4'));
const hashDurationS = Number(arg('--hash-duration', '10'));
const workers = Number(arg('--workers', '2'));
const only = new Set(arg('--scenarios', 'bare,health,get,put,login').split(','));
const baselineRoot = arg('--baseline', undefined);
const withPeer = !process.argv.includes('--no-peer');
const asJson = process.argv.includes('--json');
only.add('bare');
const runId = `bench-svc-${randomBytes(3).toString('hex')}`;
const label = `com.esteps.test=${runId}`;
const image = `esteps-bench/usersvc:${runId}`;
const network = `${runId}-net`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function docker(...args) {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

function imageSetting(name, fallback) {
  if (process.env[name]) return process.env[name];
  const envFile = join(root, '.env');
  const line = existsSync(envFile)
    ? readFileSync(envFile, 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${name}=`))
    : undefined;
  return line ? line.slice(name.length + 1).trim() : fallback;
}

function cleanup() {
  for (const id of docker('ps', '-aq', '--filter', `label=${label}`).split('\n').filter(Boolean)) {
    try {
      docker('rm', '-f', '-v', id);
    } catch {}
  }
  try {
    docker('network', 'rm', network);
  } catch {}
  for (const tag of [image, `${image}-baseline`]) {
    try {
      docker('rmi', '-f', tag);
    } catch {}
  }
}

/** The user service's entry in a checkout: service/usersvc/main.ts, or service/main.ts before the supervisor had a folder of its own. */
function serviceEntry(checkout) {
  const now = join(checkout, 'service', 'usersvc', 'main.ts');
  return existsSync(now) ? now : join(checkout, 'service', 'main.ts');
}

async function buildImage(serviceRoot = root, tag = image) {
  const bundle = await bundleAll(
    {
      service: { entry: serviceEntry(serviceRoot), target: 'node18' },
      supervisor: { entry: 'esteps/supervisor', target: 'node18' },
    },
    serviceRoot,
    cacheRoot(process.env),
  );
  const context = mkdtempSync(join(tmpdir(), 'esteps-bench-ctx-'));
  try {
    cpSync(join(root, 'templates', 'usersvc'), context, { recursive: true });
    mkdirSync(join(context, 'app'), { recursive: true });
    writeFileSync(join(context, 'app', 'service.js'), bundle.service);
    writeFileSync(join(context, 'app', 'supervisor.js'), bundle.supervisor);
    execFileSync(
      'docker',
      [
        'build',
        '-q',
        '--label',
        label,
        '--build-arg',
        `ENVOY_IMAGE=${imageSetting('ESTEPS_ENVOY_IMAGE', 'envoyproxy/envoy:v1.32-latest')}`,
        '--build-arg',
        `NODE_IMAGE=${imageSetting('ESTEPS_NODE_IMAGE', 'node:20-bookworm-slim')}`,
        '-t',
        tag,
        context,
      ],
      { env: { ...process.env, DOCKER_BUILDKIT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  // What the service's health answer calls its version.
  return codeVersion(bundle.service);
}

/** bench/fastify-peer.mjs with fastify and pg, bundled into one file in `dir`; its path. */
async function buildPeer(dir) {
  const file = join(dir, 'fastify-peer.js');
  await build({
    entryPoints: [join(root, 'bench', 'fastify-peer.mjs')],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // pg loads pg-native only when asked to.
    external: ['pg-native'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  return file;
}

const bareServer = `
const body = JSON.stringify({ ok: true, fullname: 'Bench User', uuid: '0123456789ABCDEF0123456789ABCDEF' });
require('http').createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(5000, '0.0.0.0');`;
// W > 1: a node:cluster primary forking W workers that run the same server from a file.
const bareScript =
  workers > 1
    ? `
const cluster = require('cluster');
if (cluster.isPrimary) {
require('fs').writeFileSync('/tmp/bare.js', ${JSON.stringify(bareServer)});
cluster.setupPrimary({ exec: '/tmp/bare.js', execArgv: [] });
for (let i = 0; i < ${workers}; i++) cluster.fork();
}`
    : bareServer;

/** CPU time (µs) a container has used so far, from its cgroup (v1 or v2); undefined if unreadable. */
function cpuMicros(id) {
  for (const [file, parse] of [
    [`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, (t) => Number(t) / 1000],
    [
      `/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`,
      (t) => Number(/usage_usec (\d+)/.exec(t)?.[1]),
    ],
  ]) {
    try {
      return parse(readFileSync(file, 'utf8'));
    } catch {}
  }
  return undefined;
}

/** Starts a container on the bench's network; `files` ({ path in the container: local path }) are copied in first. */
function run(name, args, files = {}) {
  docker('create', '--name', `${runId}-${name}`, '--label', label, '--network', network, ...args);
  for (const [target, local] of Object.entries(files)) {
    docker('cp', local, `${runId}-${name}:${target}`);
  }
  docker('start', `${runId}-${name}`);
  const ip = docker(
    'inspect',
    '-f',
    `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
    `${runId}-${name}`,
  );
  const published = args.includes('-p')
    ? docker('port', `${runId}-${name}`, '5000/tcp').split('\n')[0]
    : undefined;
  const id = docker('inspect', '-f', '{{.Id}}', `${runId}-${name}`);
  return {
    id,
    bridge: `http://${ip}:5000`,
    published: published ? `http://${published}` : undefined,
  };
}

async function waitFor(url, predicate, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (predicate(res.status, await res.json())) return;
    } catch {}
    await sleep(250);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`);
}

function cannon(url, request, seconds) {
  const { hashBound, ...options } = request;
  return autocannon({
    url,
    connections: hashBound ? hashConnections : connections,
    duration: seconds,
    // A hash-bound request may wait behind the others' hashes.
    timeout: hashBound ? 60 : 10,
    ...options,
  });
}

/** One value from the bench's Postgres, users database. */
function psql(sql) {
  return docker('exec', `${runId}-postgres`, 'psql', '-U', 'postgres', '-d', 'users', '-tAc', sql);
}

/** Transactions Postgres has ended in the users database: one per statement of the service. */
function statements() {
  try {
    return Number(
      psql("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'users'"),
    );
  } catch {
    return undefined;
  }
}

async function scenario(name, target, base, request, warmUp, database) {
  const seconds = request.hashBound ? hashDurationS : durationS;
  if (warmUp) await cannon(`${base}${request.path}`, request, 2);
  const statementsBefore = statements();
  const before = [cpuMicros(target.id), cpuMicros(database.id)];
  const r = await cannon(`${base}${request.path}`, request, seconds);
  const after = [cpuMicros(target.id), cpuMicros(database.id)];
  // psql's own statement is counted too; the services' health probes every 2 s are not subtracted.
  const statementsRun =
    statementsBefore === undefined ? undefined : statements() - statementsBefore - 1;
  const perRequest = (i) =>
    before[i] === undefined || r.requests.total === 0
      ? undefined
      : Math.round((after[i] - before[i]) / r.requests.total);
  return {
    cpuUsPerRequest: perRequest(0),
    dbCpuUsPerRequest: perRequest(1),
    requestsPerStatement:
      statementsRun > 0 ? Math.round((10 * r.requests.total) / statementsRun) / 10 : undefined,
    scenario: name,
    rps: Math.round((10 * r.requests.total) / seconds) / 10,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

/** Scrypt alone, `lanes` hashes at a time, in a container of the service's image and runtime. */
const scryptScript = `
const { scrypt } = require('crypto');
const [N, r, p, seconds, lanes] = process.argv.slice(1).map(Number);
const maxmem = 128 * r * (N + p + 2) + 1024 * 1024;
const one = () => new Promise((resolve, reject) =>
  scrypt('benchrules', 'saltsaltsaltsalt', 32, { N, r, p, maxmem }, (err) => (err ? reject(err) : resolve())));
let hashes = 0;
const started = Date.now();
const lane = async () => { while (Date.now() - started < seconds * 1000) { await one(); hashes++; } };
Promise.all(Array.from({ length: lanes }, lane)).then(() =>
  console.log(JSON.stringify({ hashes, seconds: (Date.now() - started) / 1000 })));`;

function rawScrypt(params, lanes) {
  const out = docker(
    'run',
    '--rm',
    '--label',
    label,
    '--network',
    'none',
    '--entrypoint',
    '/usr/local/bin/node',
    image,
    '-e',
    scryptScript,
    String(params.N),
    String(params.r),
    String(params.p),
    String(hashDurationS),
    String(lanes),
  );
  const { hashes, seconds } = JSON.parse(out.split('\n').at(-1));
  return {
    scenario: `raw scrypt, ${lanes} at a time`,
    rps: Math.round((10 * hashes) / seconds) / 10,
    requests: hashes,
    errors: 0,
    non2xx: 0,
  };
}

/** The parameters of the hash the service stored for `username`: `scrypt$N$r$p$salt$key`. */
function storedParams(username) {
  const stored = psql(`SELECT password FROM users WHERE username = '${username}'`);
  const [scheme, N, r, p] = stored.split('$');
  if (scheme !== 'scrypt') throw new Error(`unexpected stored hash format: ${scheme}`);
  return { N: Number(N), r: Number(r), p: Number(p) };
}

/** The round with the median rate, errors summed over all rounds. */
function median(runs) {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const mid = sorted[sorted.length >> 1];
  return {
    ...mid,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    rounds: runs.map((r) => r.rps),
  };
}

async function main() {
  const version = await buildImage();
  if (baselineRoot) await buildImage(baselineRoot, `${image}-baseline`);
  docker('network', 'create', '--label', label, network);
  const pgPassword = randomBytes(12).toString('hex');
  const database = run('postgres', [
    '--network-alias',
    'postgres',
    '-e',
    `POSTGRES_PASSWORD=${pgPassword}`,
    imageSetting('ESTEPS_POSTGRES_IMAGE', 'postgres:16-bookworm'),
  ]);
  // The user service of an image: this checkout's, or the baseline's.
  const service = (name, ref) =>
    run(name, [
      '-p',
      '127.0.0.1::5000',
      '-e',
      `PGPASSWORD=${pgPassword}`,
      '-e',
      `SERVICE_WORKERS=${workers}`,
      ref,
    ]);
  const svc = service('usersvc', image);
  const bare = run('bare', [
    '-p',
    '127.0.0.1::5000',
    '--entrypoint',
    '/usr/local/bin/node',
    image,
    '-e',
    bareScript,
  ]);
  const baseline = baselineRoot ? service('baseline', `${image}-baseline`) : undefined;
  for (const target of baseline ? [svc, baseline] : [svc]) {
    await waitFor(
      `${target.bridge}/user/health`,
      (status, body) => status === 200 && body.database === 'up',
    );
  }
  // After the service made the users table: the peer uses it as it is.
  const peerDir = withPeer ? mkdtempSync(join(tmpdir(), 'esteps-bench-peer-')) : undefined;
  const peer = peerDir
    ? run(
        'peer',
        [
          '-p',
          '127.0.0.1::5000',
          '-e',
          `PGPASSWORD=${pgPassword}`,
          '-e',
          `PEER_WORKERS=${workers}`,
          '--entrypoint',
          '/usr/local/bin/node',
          image,
          '/tmp/fastify-peer.js',
        ],
        { '/tmp/fastify-peer.js': await buildPeer(peerDir) },
      )
    : undefined;
  if (peerDir) rmSync(peerDir, { recursive: true, force: true });
  if (peer) {
    await waitFor(
      `${peer.bridge}/user/health`,
      (status, body) => status === 200 && body.database === 'up',
    );
  }
  await waitFor(`${bare.bridge}/`, (status) => status === 200);
  const seed = await fetch(`${svc.bridge}/user/bench-user`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fullname: 'Bench User', password: 'benchrules' }),
  });
  if (seed.status !== 201) throw new Error(`seeding failed: ${seed.status}`);
  const params = storedParams('bench-user');

  let counter = 0;
  const json = { 'content-type': 'application/json' };
  // The service's four scenarios, each followed by the same on the fastify peer.
  const scenarios = (target) => ({
    'GET /user/health': { key: 'health', target, path: '/user/health', method: 'GET' },
    'GET /user/<name>': { key: 'get', target, path: '/user/bench-user', method: 'GET' },
    'PUT /user/<new name>': {
      key: 'put',
      target,
      path: '/user/x',
      hashBound: true,
      requests: [
        {
          method: 'PUT',
          headers: json,
          body: JSON.stringify({ fullname: 'Bench', password: 'benchrules' }),
          setupRequest: (req) => ({ ...req, path: `/user/b${runId.slice(-6)}-${counter++}` }),
        },
      ],
    },
    'POST /user/<name>/login': {
      key: 'login',
      target,
      path: '/user/bench-user/login',
      hashBound: true,
      method: 'POST',
      headers: json,
      body: JSON.stringify({ password: 'benchrules' }),
    },
  });
  const ofPeer = peer ? scenarios(peer) : {};
  const requests = {
    'bare node GET': { key: 'bare', target: bare, path: '/', method: 'GET' },
    ...Object.fromEntries(
      Object.entries(scenarios(svc)).flatMap(([name, request]) => [
        [name, request],
        ...(ofPeer[name] ? [[`fastify peer ${name}`, ofPeer[name]]] : []),
      ]),
    ),
    ...(baseline && {
      'baseline GET /user/health': {
        key: 'health',
        target: baseline,
        path: '/user/health',
        method: 'GET',
      },
      'baseline GET /user/<name>': {
        key: 'get',
        target: baseline,
        path: '/user/bench-user',
        method: 'GET',
      },
    }),
  };
  const runs = new Map();
  for (let round = 0; round < rounds; round++) {
    for (const path of paths) {
      for (const [name, { target, key: short, ...request }] of Object.entries(requests)) {
        if (!only.has(short)) continue;
        const result = await scenario(name, target, target[path], request, round === 0, database);
        const key = `${path}\t${name}`;
        runs.set(key, [...(runs.get(key) ?? []), result]);
        process.stderr.write(
          `round ${round + 1} ${path} ${name}: ${result.rps} req/s, p99 ${result.p99Ms} ms\n`,
        );
      }
    }
    for (const lanes of only.has('put') || only.has('login') ? [1, 2] : []) {
      const result = rawScrypt(params, lanes);
      const key = `machine\t${result.scenario}`;
      runs.set(key, [...(runs.get(key) ?? []), result]);
      process.stderr.write(`round ${round + 1} ${result.scenario}: ${result.rps} hashes/s\n`);
    }
  }
  const results = [...runs].map(([key, list]) => ({ path: key.split('\t')[0], ...median(list) }));
  return { version, params, results, runs };
}

/**
 * Round-by-round ratios of one scenario's rate over another's (same path), and their median:
 * each pair ran minutes apart at most, so a busy neighbour weighs on both alike.
 */
function roundRatios(runs, path, name, over) {
  const a = runs.get(`${path}\t${name}`);
  const b = runs.get(`${path}\t${over}`);
  if (!a || !b) return undefined;
  const each = a.map((r, i) => r.rps / b[i].rps);
  const sorted = [...each].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    each: each.map((x) => Math.round(x * 100) / 100),
    median: Math.round(median * 100) / 100,
  };
}

/** Every ratio the README's Speed table quotes: the service against the bare server and the peer. */
function allRatios(runs) {
  const out = [];
  for (const path of paths) {
    for (const name of [
      'GET /user/health',
      'GET /user/<name>',
      'baseline GET /user/health',
      'baseline GET /user/<name>',
    ]) {
      const r = roundRatios(runs, path, name, 'bare node GET');
      if (r) out.push({ path, scenario: name, against: 'bare node GET', ...r });
    }
    for (const name of [
      'GET /user/health',
      'GET /user/<name>',
      'PUT /user/<new name>',
      'POST /user/<name>/login',
    ]) {
      const r = roundRatios(runs, path, name, `fastify peer ${name}`);
      if (r) out.push({ path, scenario: name, against: `fastify peer ${name}`, ...r });
    }
  }
  return out;
}

const started = new Date().toISOString();
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.on(signal, () => {
    cleanup();
    process.exit(code);
  });
}
try {
  const { version, params, results, runs } = await main();
  const ratios = allRatios(runs);
  const lines = [
    `service ${version}${baselineRoot ? ` (baseline: ${baselineRoot})` : ''}, ${workers} worker(s), bare server ${workers} process(es); ${connections} connections (PUT, login: ${hashConnections}); ${rounds} interleaved rounds of ${durationS} s per scenario (PUT, login, raw scrypt: ${hashDurationS} s; median round shown); scrypt N=${params.N} r=${params.r} p=${params.p}; ${cpus().length} cores; ${started}`,
    '',
    '| path | scenario | req/s | p50 ms | p99 ms | errors | non-2xx | req/s per round | server CPU µs/req | Postgres CPU µs/req | requests per statement |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.path} | ${r.scenario} | ${r.rps} | ${r.p50Ms ?? ''} | ${r.p99Ms ?? ''} | ${r.errors} | ${r.non2xx} | ${r.rounds.join(', ')} | ${r.cpuUsPerRequest ?? (r.path === 'machine' ? '' : '?')} | ${r.scenario.startsWith('bare') || r.path === 'machine' ? '' : (r.dbCpuUsPerRequest ?? '?')} | ${r.scenario.includes('GET /user/<name>') ? (r.requestsPerStatement ?? '?') : ''} |`,
    ),
  ];
  const perCore = results.find((r) => r.scenario === 'raw scrypt, 1 at a time');
  const twoAtOnce = results.find((r) => r.scenario === 'raw scrypt, 2 at a time');
  if (perCore && twoAtOnce)
    lines.push(
      '',
      `machine: ${perCore.rps} hashes/s per core; ${twoAtOnce.rps} hashes/s two at a time (the service's concurrency)`,
    );
  for (const path of paths) {
    for (const name of ['PUT /user/<new name>', 'POST /user/<name>/login']) {
      const r = results.find((x) => x.path === path && x.scenario === name);
      if (!r || !twoAtOnce) continue;
      lines.push(
        `${path}: ${name} at ${r.rps} req/s, ${((100 * r.rps) / twoAtOnce.rps).toFixed(0)}% of the machine's ${twoAtOnce.rps} hashes/s two at a time`,
      );
    }
  }
  for (const path of paths) {
    const bare = results.find((r) => r.path === path && r.scenario === 'bare node GET');
    for (const r of ratios.filter((x) => x.path === path)) {
      lines.push(
        `${path}: ${r.scenario} against the ${r.against === 'bare node GET' ? 'bare server' : 'fastify + pg peer'}, round by round: ${r.each.map((x) => x.toFixed(2)).join(', ')} (median ${r.median.toFixed(2)})`,
      );
    }
    const get = results.find((r) => r.path === path && r.scenario === 'GET /user/<name>');
    if (!get) continue;
    lines.push(
      '',
      `${path}: GET /user/<name> at ${((100 * get.rps) / bare.rps).toFixed(0)}% of the bare server's rate` +
        (get.cpuUsPerRequest && bare.cpuUsPerRequest
          ? `; it costs the server ${(get.cpuUsPerRequest / bare.cpuUsPerRequest).toFixed(2)}x the bare server's CPU per request`
          : ''),
    );
  }
  const document = {
    bench: 'service',
    started,
    workers,
    connections,
    hashConnections,
    durationS,
    hashDurationS,
    rounds,
    version,
    params,
    results,
    ratios,
  };
  console.log(asJson ? JSON.stringify(document) : lines.join('\n'));
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(root, 'bench', 'results', `service-${started.replace(/[:.]/g, '-')}.json`),
    JSON.stringify(document, null, 2),
  );
} catch (err) {
  process.exitCode = 1;
  process.stderr.write(`service bench failed: ${err.stack ?? err}\n`);
} finally {
  cleanup();
}
