#!/usr/bin/env node
// Wall time of `esteps up` against `docker-compose up -d --build` on the compose file that
// `esteps render -o` writes: same stack, same images, same engine, one run, interleaved.
// Each figure is the time from starting the command until both the command has exited and
// GET /user/health on the published 127.0.0.1 port answers 200 with `database: "up"`.
//
//   npm run build && node bench/up-bench.mjs [--runs N]
//
// Scenarios, per tool and run:
//   cold     a new project on a base image no build has used: every step of the service's
//            image is built (as on a fresh clone), Postgres initialises its new volume
//   warm     image built, containers removed (`down`, volume kept)
//   noop     everything already up
//   cached   a new project whose image's every layer the engine holds from an earlier build
//            (kept by a tag): the build finds them all, Postgres initialises a new volume
// Each tool's run gets its own base: the Envoy base of .env with one label added
// (esteps-bench/envoy-base:<run>), so neither tool finds layers the other built, and layers
// other projects hold never make a "cold" build cheaper. Everything made here is removed.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { request } from 'undici';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/esteps.js');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function healthy(port) {
  try {
    const res = await request(`http://127.0.0.1:${port}/user/health`, {
      headersTimeout: 1000,
      bodyTimeout: 1000,
    });
    const body = await res.body.text();
    return res.statusCode === 200 && JSON.parse(body).database === 'up';
  } catch {
    return false;
  }
}

/** Runs `command`, polling health meanwhile; ms until both finished. */
async function timed(port, command) {
  const start = performance.now();
  let answeredAt;
  const poll = (async () => {
    while (answeredAt === undefined && performance.now() - start < 300_000) {
      if (await healthy(port)) answeredAt = performance.now();
      else await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const result = await command();
  if (result.exitCode !== 0) throw new Error(`${result.command} failed:\n${result.all}`);
  const exitedAt = performance.now();
  await poll;
  if (answeredAt === undefined) throw new Error(`${result.command}: health never answered`);
  return Math.round(Math.max(exitedAt, answeredAt) - start);
}

async function tool(name, project, port, dir) {
  // The environment outranks .env for both tools: the run's base must win there too.
  const env = { ESTEPS_USERSVC_PORT: String(port), ESTEPS_ENVOY_IMAGE: await envoyBaseOf(dir) };
  const run = (file, args) => execa(file, args, { cwd: dir, env, all: true, reject: false });
  if (name === 'esteps') {
    return {
      port,
      up: () => run('node', [cli, 'up', '-p', project]),
      down: (volumes) =>
        run('node', [cli, 'down', '-p', project, ...(volumes ? ['--volumes'] : [])]),
    };
  }
  const file = join(dir, 'docker-compose.yml');
  const rendered = await run('node', [cli, 'render', '-p', project, '-o', file]);
  if (rendered.exitCode !== 0) throw new Error(`esteps render failed:\n${rendered.all}`);
  const compose = (...args) => run('docker-compose', ['-p', project, '-f', file, ...args]);
  return {
    port,
    up: () => compose('up', '-d', '--build'),
    down: (volumes) => compose('down', ...(volumes ? ['-v'] : []), '--timeout', '10'),
  };
}

async function removeImage(project) {
  await execa('docker', ['rmi', '-f', `esteps/${project}-usersvc:latest`], { reject: false });
}

async function envoyBaseOf(dir) {
  const env = await readFile(join(dir, '.env'), 'utf8');
  return /^ESTEPS_ENVOY_IMAGE=(.*)$/m.exec(env)[1];
}

/** `from` with one label added: a new image id, so no build has used it as a base. */
async function labelledBase(from, run) {
  const tag = `esteps-bench/envoy-base:${run}`;
  await execa('docker', ['build', '-q', '-t', tag, '-'], {
    input: `FROM ${from}\nLABEL com.esteps.bench-run=${run}\n`,
    env: { DOCKER_BUILDKIT: '0' },
  });
  return tag;
}

/** The bench's tear-down of one project: containers, volumes, image. */
async function removeProject(t, name, project) {
  await t.down(true);
  // `esteps render` stored the project's secrets on the engine (volume <project>.secrets);
  // docker-compose's `down -v` does not know that volume.
  if (name === 'compose') {
    await execa('docker', ['volume', 'rm', `${project}.secrets`], { reject: false });
  }
  await removeImage(project);
}

async function main() {
  const base = await mkdtemp(join(tmpdir(), 'esteps-bench-'));
  const envFile = await readFile(join(root, '.env'), 'utf8').catch(() => '');
  const envoyBase =
    process.env.ESTEPS_ENVOY_IMAGE ??
    /^ESTEPS_ENVOY_IMAGE=(.*)$/m.exec(envFile)?.[1] ??
    'envoyproxy/envoy:v1.32-latest';
  const results = {
    esteps: { cold: [], warm: [], noop: [], cached: [] },
    compose: { cold: [], warm: [], noop: [], cached: [] },
  };
  try {
    for (let i = 0; i < runs; i++) {
      for (const name of ['esteps', 'compose']) {
        const run = `${process.pid}-${i}-${name}`;
        const dir = join(base, run);
        await execa('mkdir', ['-p', dir]);
        const runBase = await labelledBase(envoyBase, run);
        const others = envFile.replace(/^ESTEPS_ENVOY_IMAGE=.*$/m, '').trim();
        await writeFile(join(dir, '.env'), `${others}\nESTEPS_ENVOY_IMAGE=${runBase}\n`);
        const keeper = `esteps-bench/keeper:${run}`;
        try {
          const project = `bench-${run}`;
          const t = await tool(name, project, await freePort(), dir);
          try {
            results[name].cold.push(await timed(t.port, t.up));
            await t.down(false);
            results[name].warm.push(await timed(t.port, t.up));
            results[name].noop.push(await timed(t.port, t.up));
            // Keeps every layer of the image for the next case.
            await execa('docker', ['tag', `esteps/${project}-usersvc:latest`, keeper]);
          } finally {
            await removeProject(t, name, project);
          }
          const again = `bench-${run}-cached`;
          const t2 = await tool(name, again, await freePort(), dir);
          try {
            results[name].cached.push(await timed(t2.port, t2.up));
          } finally {
            await removeProject(t2, name, again);
          }
        } finally {
          await execa('docker', ['rmi', keeper, runBase], { reject: false });
        }
        process.stderr.write(
          `run ${i + 1}/${runs} ${name}: ${JSON.stringify(lastOf(results[name]))}\n`,
        );
      }
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
  report(results);
}

function lastOf(r) {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.at(-1)]));
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function report(results) {
  const engine = execa('docker', ['version', '--format', '{{.Server.Version}}'], { reject: false });
  const lines = [
    '| case | esteps up (ms) | docker-compose up -d --build (ms) | all esteps runs | all compose runs |',
    '| --- | ---: | ---: | --- | --- |',
  ];
  for (const c of ['cold', 'cached', 'warm', 'noop']) {
    lines.push(
      `| ${c} | ${median(results.esteps[c])} | ${median(results.compose[c])} | ${results.esteps[c].join(', ')} | ${results.compose[c].join(', ')} |`,
    );
  }
  engine.then((e) => {
    process.stdout.write(
      `${lines.join('\n')}\n\nmedian of ${runs} runs; engine ${e.stdout}; node ${process.version}\n`,
    );
  });
}

await main();
