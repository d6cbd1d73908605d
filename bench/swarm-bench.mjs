#!/usr/bin/env node
// `esteps up --swarm` and a rolling update against `docker stack deploy` of the file that
// `esteps render --swarm -o` writes: the step3 stack (3 user-service replicas, Postgres), on
// the same test Swarm, in one run, one after the other, run by run.
//
//   npm run build && export $(npm run -s swarm:up) && node bench/swarm-bench.mjs [--runs N] \
//     [--esteps LABEL=PATH/dist/esteps.js ...] [--noops N] [--json]
//
// `--esteps` (repeatable) compares several builds of esteps in the same run, e.g. the code
// before a change (built in a copy of the tree) and after: each run then has every build go
// once, in an order that alternates from run to run, before docker stack deploy. Default:
// this tree's dist/esteps.js, labelled `esteps`.
// --json prints one JSON document on stdout instead of the table (for bench/all.mjs).
//
// Per run, first esteps (project `bsw-<random>-<run>-<build>`), then docker stack deploy
// (stack `<the last build's project>-stk`, with the images esteps pushed):
//   cold     nothing of the project deployed: `esteps up --swarm` (its image build, cached
//            by the engine after the first run, and its pushes included) / `docker stack
//            deploy` (images already in the registry: it builds and pushes nothing)
//   noop     the same command again, everything deployed (for docker stack deploy: whether
//            it changed a service's version is printed)
//   rolling  new code (a new health message) to every replica: `esteps hotpatch --swarm
//            --source DIR` (build, push, rolling update) / the tutorial's way with the file:
//            `docker build` of the rendered build context with the change, `docker push`
//            of the same tag, `docker stack deploy` again (the client resolves the tag to
//            the new digest: a rolling update)
// Each figure is ms from starting the command(s) until they exited and GET /user/health
// answers 200 with `database: "up"` (rolling: and the new message) through the published
// port of every node (one replica a node, host mode): 127.0.0.1 ports of this machine.
// Both sides publish in host mode with dnsrr (this kernel has no IPVS), update one task at a
// time, stop-first (a host-mode port cannot be bound twice on a node), with a 5 s monitor.
// Cleanup, also on failure: esteps down --swarm --volumes, docker stack rm and the stack's
// volume, the local images of the run. The registry and the nodes keep the images pushed and
// pulled until `npm run swarm:down`.
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { request } from 'undici';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/esteps.js');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
/** The builds of esteps to compare: `--esteps LABEL=PATH`, repeatable. */
const builds = process.argv.flatMap((a, i) => {
  if (process.argv[i - 1] !== '--esteps') return [];
  const at = a.indexOf('=');
  return [{ label: a.slice(0, at), path: a.slice(at + 1) }];
});
if (builds.length === 0) builds.push({ label: 'esteps', path: cli });
/** `--noops N`: the no-op measured N times a run on each side (a short figure, noisy alone). */
const noopsArg = process.argv.indexOf('--noops');
const noops = noopsArg > 0 ? Number(process.argv[noopsArg + 1]) : 1;
const tag = randomBytes(3).toString('hex');
const work = join(root, '.esteps', `tmp-swarm-bench-${tag}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Node ports (30000-30009 on every test Swarm node): one for each side. */
const ports = { esteps: 30002, stack: 30003 };

async function clusterFacts() {
  const host = process.env.DOCKER_HOST;
  if (!host) throw new Error('DOCKER_HOST is not set: export $(npm run -s swarm:up) first');
  const dir = join(root, '.esteps', 'swarm');
  for (const f of await readdir(dir).catch(() => [])) {
    const facts = JSON.parse(await readFile(join(dir, f), 'utf8'));
    if (facts.dockerHost === host) return facts;
  }
  throw new Error(`DOCKER_HOST=${host} is no test Swarm of npm run swarm:up`);
}

function envFile(text) {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  );
}

async function health(url) {
  try {
    const res = await request(`${url}/user/health`, { headersTimeout: 1000, bodyTimeout: 1000 });
    const body = await res.body.text();
    return res.statusCode === 200 ? JSON.parse(body) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `commands` in turn while polling every node: `{ total, answered }`, ms from the start
 * until the commands exited and every node answered as asked (`total`), and until every node
 * first answered so (`answered`: before the commands exited when they wait beyond that).
 */
async function timed(urls, commands, message) {
  const start = performance.now();
  let answeredAt;
  let done = false;
  const poll = (async () => {
    while (answeredAt === undefined && performance.now() - start < 600_000) {
      const all = await Promise.all(urls.map(health));
      const ok = all.every(
        (h) => h && h.database === 'up' && (message === undefined || h.msg === message),
      );
      if (ok) answeredAt = performance.now();
      else await sleep(done ? 100 : 200);
    }
  })();
  try {
    for (const command of commands) {
      const r = await command();
      if (r.exitCode !== 0) throw new Error(`${r.command} failed:\n${r.all}`);
    }
  } finally {
    done = true;
  }
  const exitedAt = performance.now();
  await poll;
  if (answeredAt === undefined) throw new Error('the nodes never answered as expected in 600 s');
  return {
    total: Math.round(Math.max(exitedAt, answeredAt) - start),
    answered: Math.round(answeredAt - start),
  };
}

async function main() {
  const loadAtStart = await loadavg();
  const facts = await clusterFacts();
  const images = envFile(await readFile(join(root, '.env'), 'utf8').catch(() => ''));
  const postgres = images.ESTEPS_POSTGRES_IMAGE ?? 'postgres:16-bookworm';
  const urls = (port) =>
    facts.nodes.map((n) => `http://127.0.0.1:${n.ports.find((p) => p.node === port).host}`);
  const run = (file, args, options = {}) =>
    execa(file, args, {
      cwd: work,
      all: true,
      reject: false,
      timeout: 600_000,
      ...options,
      env: { DOCKER_HOST: facts.dockerHost, ...options.env },
    });
  const results = {
    ...Object.fromEntries(builds.map((b) => [b.label, { cold: [], noop: [], rolling: [] }])),
    stack: { cold: [], noop: [], rolling: [] },
  };
  const noopChanged = [];
  await mkdir(work, { recursive: true });
  await writeFile(join(work, '.env'), await readFile(join(root, '.env'), 'utf8').catch(() => ''));
  await cp(join(root, 'service'), join(work, 'src', 'service'), { recursive: true });
  const appFile = join(work, 'src', 'service', 'usersvc', 'app.ts');
  const app = await readFile(appFile, 'utf8');
  const cleanups = [];
  try {
    for (let i = 0; i < runs; i++) {
      // Each build once, the order alternating from run to run; the last one's project
      // gives the file docker stack deploy runs.
      const order = i % 2 === 0 ? builds : [...builds].reverse();
      let project;
      let file;
      let dir;
      for (const [j, build] of order.entries()) {
        project = `bsw-${tag}-${i}-${builds.indexOf(build)}`;
        const esteps = (args) =>
          run('node', [build.path, ...args, '--stack', 'step3', '-p', project], {
            env: { ESTEPS_USERSVC_PORT: String(ports.esteps) },
          });
        cleanups.push(() => esteps(['down', '--swarm', '--volumes']));
        const r = results[build.label];
        r.cold.push(await timed(urls(ports.esteps), [() => esteps(['up', '--swarm'])]));
        for (let k = 0; k < noops; k++) {
          r.noop.push(await timed(urls(ports.esteps), [() => esteps(['up', '--swarm'])]));
        }
        const message = `esteps ${project}`;
        await writeFile(appFile, app.replace(/msg: '[^']*'/, `msg: '${message}'`));
        r.rolling.push(
          await timed(
            urls(ports.esteps),
            [() => esteps(['hotpatch', '--swarm', '--source', join(work, 'src')])],
            message,
          ),
        );
        if (j === order.length - 1) {
          // The file, written while the project's secrets are there (render -o reads them).
          dir = join(work, project);
          file = join(dir, 'stack.yml');
          const rendered = await esteps(['render', '--swarm', '-o', file]);
          if (rendered.exitCode !== 0) throw new Error(`render failed:\n${rendered.all}`);
        }
        await esteps(['down', '--swarm', '--volumes']);
        cleanups.pop();
      }
      const stack = `${project}-stk`;

      const stackEnv = {
        ESTEPS_USERSVC_PORT: String(ports.stack),
        ESTEPS_POSTGRES_IMAGE: postgres.startsWith('esteps-local/')
          ? `${facts.registry}/${postgres}`
          : postgres,
      };
      const docker = (args, env = stackEnv) => run('docker', args, { cwd: dir, env });
      cleanups.push(() => removeStack(facts, docker, stack));
      const deploy = () => docker(['stack', 'deploy', '-c', file, stack]);
      results.stack.cold.push(await timed(urls(ports.stack), [deploy]));
      const before = await versions(docker, stack);
      for (let k = 0; k < noops; k++) {
        results.stack.noop.push(await timed(urls(ports.stack), [deploy]));
      }
      noopChanged.push(before !== (await versions(docker, stack)));
      // New code the tutorial's way: the rendered build context with the change, the same tag.
      const newMessage = `stack ${project}`;
      const bundle = join(dir, 'usersvc', 'app', 'service.js');
      const code = await readFile(bundle, 'utf8');
      await writeFile(
        bundle,
        code.replace(/user health check OK|esteps bsw-[0-9a-f]+(-\d+)+/, newMessage),
      );
      const ref = `${facts.registryFromHost}/esteps/${project}-usersvc:latest`;
      const local = { ...process.env, DOCKER_HOST: '' };
      results.stack.rolling.push(
        await timed(
          urls(ports.stack),
          [
            () =>
              run(
                'docker',
                [
                  'build',
                  '-q',
                  '-t',
                  ref,
                  '--label',
                  `com.esteps.project=${project}`,
                  ...Object.entries({
                    ENVOY_IMAGE: images.ESTEPS_ENVOY_IMAGE,
                    NODE_IMAGE: images.ESTEPS_NODE_IMAGE,
                  })
                    .filter(([, v]) => v)
                    .flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
                  join(dir, 'usersvc'),
                ],
                { env: local },
              ),
            () => run('docker', ['push', '-q', ref], { env: local }),
            deploy,
          ],
          newMessage,
        ),
      );
      await removeStack(facts, docker, stack);
      cleanups.pop();
      for (const b of builds) await removeImages(`bsw-${tag}-${i}-${builds.indexOf(b)}`);
      process.stderr.write(
        `run ${i + 1}/${runs}: ${builds.map((b) => `${b.label} ${JSON.stringify(lastOf(results[b.label]))}`).join(', ')}, stack deploy ${JSON.stringify(lastOf(results.stack))}\n`,
      );
    }
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    for (let i = 0; i < runs; i++)
      for (let j = 0; j < builds.length; j++) await removeImages(`bsw-${tag}-${i}-${j}`);
    await rm(work, { recursive: true, force: true });
  }
  await report(results, noopChanged, loadAtStart);
}

/** The stack's running tasks, sorted: a change means the deploy replaced a task. */
async function versions(docker, stack) {
  const r = await docker([
    'stack',
    'ps',
    '--filter',
    'desired-state=running',
    '--format',
    '{{.ID}}',
    stack,
  ]);
  return r.stdout.split('\n').filter(Boolean).sort().join(',');
}

/** docker stack rm, then the stack's volume once its database container is gone. */
async function removeStack(facts, docker, stack) {
  await docker(['stack', 'rm', stack]);
  const manager = facts.nodes.find((n) => n.role === 'manager');
  const on = (args) => docker(['-H', manager.dockerHost, ...args]);
  for (let i = 0; i < 120; i++) {
    const left = await on(['ps', '-aq', '--filter', `label=com.docker.stack.namespace=${stack}`]);
    if (left.stdout.trim() === '') break;
    await sleep(500);
  }
  await on(['volume', 'rm', `${stack}_pgdata`]);
}

async function removeImages(project) {
  const r = await execa(
    'docker',
    ['images', '-q', '--filter', `label=com.esteps.project=${project}`],
    {
      reject: false,
      env: { DOCKER_HOST: '' },
    },
  );
  const ids = [...new Set(r.stdout.split('\n').filter(Boolean))];
  if (ids.length > 0)
    await execa('docker', ['rmi', '-f', ...ids], { reject: false, env: { DOCKER_HOST: '' } });
}

function lastOf(r) {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.at(-1)]));
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const loadavg = async () =>
  (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');

async function report(results, noopChanged, loadAtStart) {
  if (process.argv.includes('--json')) {
    const loadAtEnd = await loadavg();
    process.stdout.write(
      `${JSON.stringify({ runs, results, noopChanged, loadAtStart, loadAtEnd })}\n`,
    );
    return;
  }
  const rows = [
    ['cold, until exited and every node answers', 'cold', 'total'],
    ['nothing to change, until exited', 'noop', 'total'],
    ['rolling update, until every replica answers the new code', 'rolling', 'answered'],
    ['rolling update, until that and the command exited', 'rolling', 'total'],
  ];
  const lines = [];
  for (const b of builds) {
    lines.push(
      `${b.label} (${b.path}) against docker stack deploy:`,
      '',
      '| case | esteps (ms) | docker stack deploy (ms) | ratio | pair by pair | all esteps runs | all stack deploy runs |',
      '| --- | ---: | ---: | ---: | --- | --- | --- |',
    );
    for (const [label, c, field] of rows) {
      const [es, ss] = [
        results[b.label][c].map((r) => r[field]),
        results.stack[c].map((r) => r[field]),
      ];
      const [e, s] = [median(es), median(ss)];
      const pairs = es.map((v, k) => (v / ss[k]).toFixed(2)).join(', ');
      lines.push(
        `| ${label} | ${e} | ${s} | ${(e / s).toFixed(2)}x | ${pairs} | ${es.join(', ')} | ${ss.join(', ')} |`,
      );
    }
    lines.push('');
  }
  process.stdout.write(
    `${lines.join('\n')}\nmedian of ${runs} runs; ended ${new Date().toISOString()}; load average ${loadAtStart} at the start, ${await loadavg()} at the end; ` +
      `docker stack deploy with nothing changed replaced a task: ${noopChanged.join(', ')}\n`,
  );
}

await main();
