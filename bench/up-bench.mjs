#!/usr/bin/env node
// Wall time of `esteps up` against `docker-compose up -d --build` on the compose file that
// `esteps render -o` writes: same stack, same images, same engine, one run, interleaved.
// Each figure is the time from starting the command until both the command has exited and
// GET /user/health on the published 127.0.0.1 port answers 200 with `database: "up"`.
//
//   npm run build && node bench/up-bench.mjs [--runs N] [--cli NAME=PATH/esteps.js ...] [--json]
//
// --cli (repeatable; default esteps=dist/esteps.js) measures several builds of esteps, each
// its own tool beside docker-compose, interleaved run by run (the first also renders the
// compose file). --json prints one JSON document on stdout; progress goes to stderr.
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
import { loadavg, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import { request } from 'undici';
import {
  freePort,
  median,
  onCleanup,
  once,
  option,
  options,
  progress,
  root,
  runBench,
} from './support.mjs';

const runs = Number(option('--runs', 3));
const clis = (options('--cli').length > 0 ? options('--cli') : ['esteps=dist/esteps.js']).map(
  (spec) => {
    const [name, path] = spec.split('=');
    return { name, path: isAbsolute(path) ? path : join(root, path) };
  },
);
/** Renders the compose file, as a user who ejects would. */
const cli = clis[0].path;

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
  const esteps = clis.find((c) => c.name === name);
  if (esteps) {
    return {
      port,
      up: () => run('node', [esteps.path, 'up', '-p', project]),
      down: (volumes) =>
        run('node', [esteps.path, 'down', '-p', project, ...(volumes ? ['--volumes'] : [])]),
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

const cases = ['cold', 'cached', 'warm', 'noop'];

async function main() {
  const base = await mkdtemp(join(tmpdir(), 'esteps-bench-'));
  onCleanup(() => rm(base, { recursive: true, force: true }));
  const envFile = await readFile(join(root, '.env'), 'utf8').catch(() => '');
  const envoyBase =
    process.env.ESTEPS_ENVOY_IMAGE ??
    /^ESTEPS_ENVOY_IMAGE=(.*)$/m.exec(envFile)?.[1] ??
    'envoyproxy/envoy:v1.32-latest';
  const tools = [...clis.map((c) => c.name), 'compose'];
  const results = Object.fromEntries(
    tools.map((t) => [t, Object.fromEntries(cases.map((c) => [c, []]))]),
  );
  const loads = [];
  for (let i = 0; i < runs; i++) {
    for (const name of tools) {
      const run = `${process.pid}-${i}-${name}`;
      const dir = join(base, run);
      await execa('mkdir', ['-p', dir]);
      const runBase = await labelledBase(envoyBase, run);
      const keeper = `esteps-bench/keeper:${run}`;
      const removeImages = once(() => execa('docker', ['rmi', keeper, runBase], { reject: false }));
      onCleanup(removeImages);
      const others = envFile.replace(/^ESTEPS_ENVOY_IMAGE=.*$/m, '').trim();
      await writeFile(join(dir, '.env'), `${others}\nESTEPS_ENVOY_IMAGE=${runBase}\n`);
      loads.push(loadavg()[0]);
      try {
        const project = `bench-${run}`;
        const t = await tool(name, project, await freePort(), dir);
        const removeFirst = once(() => removeProject(t, name, project));
        onCleanup(removeFirst);
        try {
          results[name].cold.push(await timed(t.port, t.up));
          await t.down(false);
          results[name].warm.push(await timed(t.port, t.up));
          results[name].noop.push(await timed(t.port, t.up));
          // Keeps every layer of the image for the next case.
          await execa('docker', ['tag', `esteps/${project}-usersvc:latest`, keeper]);
        } finally {
          await removeFirst();
        }
        const again = `bench-${run}-cached`;
        const t2 = await tool(name, again, await freePort(), dir);
        const removeSecond = once(() => removeProject(t2, name, again));
        onCleanup(removeSecond);
        try {
          results[name].cached.push(await timed(t2.port, t2.up));
        } finally {
          await removeSecond();
        }
      } finally {
        await removeImages();
      }
      progress(`up run ${i + 1}/${runs} ${name}: ${JSON.stringify(lastOf(results[name]))}`);
    }
  }
  const engine = await execa('docker', ['version', '--format', '{{.Server.Version}}'], {
    reject: false,
  });
  const summary = Object.fromEntries(
    tools.map((t) => [t, Object.fromEntries(cases.map((c) => [c, median(results[t][c])]))]),
  );
  // Each esteps build over docker-compose, run by run (the pair ran minutes apart at most).
  const pairs = Object.fromEntries(
    clis.map((c) => [
      c.name,
      Object.fromEntries(
        cases.map((k) => [k, results[c.name][k].map((ms, i) => ms / results.compose[k][i])]),
      ),
    ]),
  );
  return {
    runs,
    clis,
    engine: engine.stdout,
    node: process.version,
    loads,
    results,
    summary,
    pairs,
  };
}

function lastOf(r) {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.at(-1)]));
}

function text(r) {
  const names = Object.keys(r.results);
  const lines = [
    `| case | ${names.map((n) => `${n} (ms)`).join(' | ')} | ${r.clis.map((c) => `${c.name}/compose, run by run`).join(' | ')} |`,
    `| --- | ${names.map(() => '---:').join(' | ')} | ${r.clis.map(() => '---').join(' | ')} |`,
  ];
  for (const c of cases) {
    lines.push(
      `| ${c} | ${names.map((n) => r.summary[n][c]).join(' | ')} | ${r.clis.map((cl) => r.pairs[cl.name][c].map((x) => x.toFixed(2)).join(', ')).join(' | ')} |`,
    );
  }
  return `${lines.join('\n')}\n\nmedian of ${r.runs} runs; engine ${r.engine}; node ${r.node}; load ${r.loads.map((l) => l.toFixed(1)).join(', ')}`;
}

await runBench('up', main, text);
