#!/usr/bin/env node
// esteps/testing's `up()` of step 1 to a ready handle, next to `docker-compose up -d` of the
// file `esteps render -o` ejects plus a readiness poll: same stack, same images, same engine,
// one run, interleaved.
//
//   npm run build && node bench/testing-bench.mjs [--runs N]
//
// Cases, per tool and run:
//   warm    a new project (a test file's own), images built: esteps' up() builds the
//           project's image from the engine's layer cache (each project names its own
//           image), docker-compose runs the image the file names; Postgres initialises the
//           new project's volume on both sides
//   reuse   the project already up (the second test file): up({ reuse: true }), and
//           `docker-compose up -d` again
// esteps is timed in a Node.js process of its own, as a test file runs: from before
// `import('esteps/testing')` to the handle (import and up also apart); docker-compose from
// the command's start until it has exited and GET /user/health on the port it published
// answers 200 with `database: "up"` (what step 1's readiness is). Both publish on an
// engine-picked port (ESTEPS_USERSVC_PORT=0). Teardown is timed too: the handle's down()
// against `docker-compose down -v`. Everything made here is removed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { request } from 'undici';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/esteps.js');
const entry = join(root, 'dist/testing.js');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;

let lastAnswer = '';

async function healthy(port) {
  try {
    const res = await request(`http://127.0.0.1:${port}/user/health`, {
      headersTimeout: 1000,
      bodyTimeout: 1000,
    });
    const body = await res.body.text();
    lastAnswer = `${res.statusCode} ${body}`;
    return res.statusCode === 200 && JSON.parse(body).database === 'up';
  } catch (err) {
    lastAnswer = String(err);
    return false;
  }
}

/**
 * One test file's worth of esteps: a process that imports esteps/testing, brings step 1 up,
 * says how long that took, and (unless `keep`) takes it down again, timed too.
 */
async function estepsUp(options, keep) {
  const script = `
    const t0 = performance.now();
    const { up } = await import(${JSON.stringify(entry)});
    const t1 = performance.now();
    const stack = await up(${JSON.stringify(options)});
    const t2 = performance.now();
    const ok = (await fetch(stack.url('usersvc') + '/user/health')).status === 200;
    let downMs = 0;
    if (!${keep}) {
      const t3 = performance.now();
      await stack.down();
      downMs = performance.now() - t3;
    }
    process.stdout.write(JSON.stringify({ project: stack.project, ok, importMs: t1 - t0,
      upMs: t2 - t1, totalMs: t2 - t0, downMs, changed: stack.outcome.changed }));
  `;
  const run = await execa('node', ['--input-type=module', '-e', script], {
    cwd: root,
    all: true,
    reject: false,
  });
  if (run.exitCode !== 0) throw new Error(`esteps up failed:\n${run.all}`);
  const result = JSON.parse(run.stdout);
  if (!result.ok) throw new Error('esteps: the handle did not answer');
  return result;
}

/** docker-compose of the ejected file: up -d, then the published port's health. */
function composeTool(dir, project, made = []) {
  made.push(project);
  const run = (...args) =>
    execa('docker-compose', ['-p', project, '-f', join(dir, 'compose.yml'), ...args], {
      cwd: dir,
      env: { ESTEPS_USERSVC_PORT: '0' },
      all: true,
      reject: false,
    });
  return {
    async up() {
      const start = performance.now();
      const result = await run('up', '-d');
      if (result.exitCode !== 0) throw new Error(`docker-compose up failed:\n${result.all}`);
      let port = 0;
      let said = '';
      while (!(port > 0 && (await healthy(port)))) {
        if (performance.now() - start > 300_000) {
          const logs = await run('logs', '--tail', '20');
          throw new Error(
            `${project}: never healthy on port ${port} (${said}): ${lastAnswer}\n${logs.all}`,
          );
        }
        if (!(port > 0)) {
          said = (await run('port', 'usersvc', '5000')).stdout.trim();
          port = Number(/:(\d+)$/m.exec(said)?.[1] ?? 0);
        } else await new Promise((r) => setTimeout(r, 50));
      }
      return Math.round(performance.now() - start);
    },
    async down() {
      const start = performance.now();
      await run('down', '-v', '--timeout', '10');
      return Math.round(performance.now() - start);
    },
  };
}

async function main() {
  const base = await mkdtemp(join(tmpdir(), 'esteps-testing-bench-'));
  const ejected = `tbench-${process.pid}`;
  const reused = `tbench-${process.pid}-reuse`;
  const results = {
    esteps: { warm: [], reuse: [], import: [], down: [] },
    compose: { warm: [], reuse: [], down: [] },
  };
  const composeProjects = [];
  try {
    // The ejected file (with its .env of image overrides and its secrets), and its image.
    const render = await execa('node', [cli, 'render', '-p', ejected, '-o', 'eject/compose.yml'], {
      cwd: base,
      all: true,
      reject: false,
    });
    if (render.exitCode !== 0) throw new Error(`esteps render failed:\n${render.all}`);
    const dir = join(base, 'eject');
    await composeTool(dir, ejected, composeProjects).up();
    await composeTool(dir, ejected).down();
    // The reused projects, up before the first measurement (a first test file's work).
    await estepsUp({ stack: 'step1', project: reused, reuse: true }, true);
    const composeReused = composeTool(dir, `${reused}-compose`, composeProjects);
    await composeReused.up();
    // A first warm esteps run, untimed: the reaper's image and its container.
    await estepsUp({ stack: 'step1' }, false);
    for (let i = 0; i < runs; i++) {
      const warm = await estepsUp({ stack: 'step1' }, false);
      results.esteps.warm.push(Math.round(warm.totalMs));
      results.esteps.import.push(Math.round(warm.importMs));
      results.esteps.down.push(Math.round(warm.downMs));
      const compose = composeTool(dir, `tbench-${process.pid}-${i}`, composeProjects);
      results.compose.warm.push(await compose.up());
      results.compose.down.push(await compose.down());
      const again = await estepsUp({ stack: 'step1', project: reused, reuse: true }, true);
      if (again.changed) throw new Error('reuse: the second up changed something');
      results.esteps.reuse.push(Math.round(again.totalMs));
      results.compose.reuse.push(await composeReused.up());
      process.stderr.write(
        `run ${i + 1}/${runs}: esteps warm ${results.esteps.warm.at(-1)} ms (import ${warm.importMs.toFixed(0)}), reuse ${results.esteps.reuse.at(-1)} ms; compose warm ${results.compose.warm.at(-1)} ms, reuse ${results.compose.reuse.at(-1)} ms\n`,
      );
    }
    await composeReused.down();
  } finally {
    for (const project of composeProjects) await composeTool(join(base, 'eject'), project).down();
    await execa('node', [cli, 'down', '-p', reused, '--volumes'], { cwd: root, reject: false });
    for (const volume of [`${ejected}.secrets`, `${reused}-compose.secrets`]) {
      await execa('docker', ['volume', 'rm', volume], { reject: false });
    }
    await execa('docker', ['rmi', `esteps/${ejected}-usersvc:latest`], { reject: false });
    await rm(base, { recursive: true, force: true });
  }
  report(results);
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function report(r) {
  const load = execa('cat', ['/proc/loadavg'], { reject: false });
  const row = (name, e, c) =>
    `| ${name} | ${median(e)} | ${median(c)} | ${(median(e) / median(c)).toFixed(2)}x | ${e.join(', ')} | ${c.join(', ')} |`;
  const lines = [
    '| case | esteps/testing (ms) | docker-compose + poll (ms) | ratio | all esteps runs | all compose runs |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    row('warm: a new project, images built', r.esteps.warm, r.compose.warm),
    row('reuse: the project up already', r.esteps.reuse, r.compose.reuse),
    row('down (with volumes)', r.esteps.down, r.compose.down),
  ];
  load.then((l) => {
    console.log(lines.join('\n'));
    console.log(
      `\nimport('esteps/testing'), within esteps' warm figure: median ${median(r.esteps.import)} ms (${r.esteps.import.join(', ')})`,
    );
    console.log(`load average at the end: ${l.stdout.trim()}`);
  });
}

await main();
