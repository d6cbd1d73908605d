#!/usr/bin/env node
// `esteps watch`, from a save to the new code answering: for each CLI given (side by side:
// each edit round goes to every CLI in turn), bring up a project of its own, run
// `esteps watch -p PROJECT --source COPY`, then edit the health message in COPY every
// --gap ms (--edits times) and poll GET /user/health every 5 ms from the write until it
// answers the new message with `database: "up"`.
//
//   npm run build && node bench/watch-bench.mjs [--edits N] [--gap MS]
//     [--cli NAME=PATH/esteps.js ...] [--json]
//
// --cli defaults to esteps=dist/esteps.js. COPY is a copy of the repository's service/
// folder under .esteps/ (its bundles resolve the repository's node_modules). Figures:
// `answered` (ms from the write to the new answer) and what watch itself printed (`patched
// usersvc to V in N ms`, from the burst's end). Every project is taken down (`down
// --volumes`) at the end, also on failure, Ctrl-C or SIGTERM.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import { answeredAfter } from './answered-after.mjs';
import {
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

const edits = Number(option('--edits', 6));
const gapMs = Number(option('--gap', 1500));
const clis = (options('--cli').length > 0 ? options('--cli') : ['esteps=dist/esteps.js']).map(
  (spec) => {
    const [name, path] = spec.split('=');
    return { name, path: isAbsolute(path) ? path : join(root, path) };
  },
);
const tag = randomBytes(3).toString('hex');

/** A project of its own for one CLI: up, with a copy of the sources to edit. */
async function prepare(cli, i) {
  const run = {
    ...cli,
    project: `bench-watch-${tag}-${i}`,
    port: await freePort(),
    answered: [],
    reported: [],
    lines: [],
  };
  run.source = join(root, '.esteps', `tmp-${run.project}`);
  onCleanup(async () => {
    await execa('node', [cli.path, 'down', '-p', run.project, '--volumes'], {
      cwd: root,
      reject: false,
    });
    await rm(run.source, { recursive: true, force: true });
    await rm(join(root, '.esteps', run.project), { recursive: true, force: true });
  });
  await mkdir(run.source, { recursive: true });
  await cp(join(root, 'service'), join(run.source, 'service'), { recursive: true });
  progress(`watch: bringing up ${run.project} on port ${run.port} for ${cli.name} ...`);
  await upWithRetries(cli.path, run.project, run.port);
  return run;
}

function startWatch(run) {
  const child = spawn('node', [run.path, 'watch', '-p', run.project, '--source', run.source], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onCleanup(() => child.kill('SIGINT'));
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    for (const m of String(chunk).matchAll(/patched \S+ to \S+ in (\d+) ms[^\n]*/g)) {
      run.reported.push(Number(m[1]));
      run.lines.push(m[0]);
    }
  });
  child.stderr.on('data', (chunk) => {
    out += chunk;
  });
  const watching = new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('watching')) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
    child.once('exit', () => {
      clearInterval(timer);
      reject(new Error(`watch exited: ${out}`));
    });
  });
  return { child, watching };
}

async function edit(run, message) {
  const file = join(run.source, 'service', 'usersvc', 'app.ts');
  const text = await readFile(file, 'utf8');
  const start = performance.now();
  await writeFile(file, text.replace(/msg: '[^']*'/, `msg: '${message}'`));
  return answeredAfter(`http://127.0.0.1:${run.port}`, message, start, {
    limitMs: 30_000,
    everyMs: 5,
  });
}

async function main() {
  const runs = [];
  for (const [i, cli] of clis.entries()) runs.push(await prepare(cli, i));
  const watches = runs.map(startWatch);
  await Promise.all(watches.map((w) => w.watching));
  await sleep(gapMs);
  for (let i = 1; i <= edits; i += 1) {
    for (const run of runs) {
      const ms = await edit(run, `watch bench ${run.name} ${Date.now()}`);
      run.answered.push(ms);
      progress(`watch edit ${i} ${run.name}: answered ${ms} ms`);
      await sleep(gapMs);
    }
  }
  for (const w of watches) w.child.kill('SIGINT');
  return {
    edits,
    gapMs,
    summary: Object.fromEntries(
      runs.map((r) => [
        r.name,
        {
          answeredMs: median(r.answered),
          answered: r.answered,
          reported: r.reported,
          lines: r.lines,
        },
      ]),
    ),
  };
}

function text(r) {
  return Object.entries(r.summary)
    .map(
      ([name, s]) =>
        `${name}: answered median ${s.answeredMs} ms (${s.answered.join(', ')}); watch's own ${s.reported.join(', ')} ms\n  ${s.lines.join('\n  ')}`,
    )
    .join('\n');
}

await runBench('watch', main, text);
