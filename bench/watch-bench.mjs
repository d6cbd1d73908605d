#!/usr/bin/env node
// `esteps watch`, from a save to the new code answering, on projects that are already up:
// for each CLI given (side by side: each edit round goes to every CLI in turn), run
// `esteps watch -p PROJECT --source COPY`, then edit the health message in COPY every
// --gap ms (--edits times) and poll GET /user/health every 5 ms from the write until it
// answers the new message with `database: "up"`.
//
//   node bench/watch-bench.mjs --edits 5 --gap 1500 \
//     --run NAME=CLI_JS,PROJECT,PORT,SOURCE_DIR [--run ...]
//
// SOURCE_DIR is a copy of the repository's service/ folder's parent (as hotpatch-bench.mjs
// makes one: SOURCE_DIR/service/usersvc/app.ts), inside the CLI's checkout (it bundles with its
// node_modules). Figures: `answered` (ms from the write to the new answer) and what watch
// itself printed (`patched usersvc to V in N ms`, from the burst's end).
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { answeredAfter } from './answered-after.mjs';

const args = process.argv.slice(2);
const value = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const edits = Number(value('--edits', 5));
const gapMs = Number(value('--gap', 1500));
const runs = args
  .flatMap((a, i) => (a === '--run' ? [args[i + 1]] : []))
  .map((spec) => {
    const [name, rest] = spec.split('=');
    const [cli, project, port, source] = rest.split(',');
    return { name, cli, project, port, source, answered: [], reported: [], lines: [] };
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startWatch(run) {
  const child = spawn('node', [run.cli, 'watch', '-p', run.project, '--source', run.source], {
    cwd: dirname(dirname(run.cli)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    for (const m of String(chunk).matchAll(/patched \S+ to \S+ in (\d+) ms[^\n]*/g)) {
      run.reported.push(Number(m[1]));
      run.lines.push(m[0]);
    }
  });
  child.stderr.on('data', (chunk) => (out += chunk));
  const watching = new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('watching')) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
    child.once('exit', () => reject(new Error(`watch exited: ${out}`)));
  });
  return { child, watching, output: () => out };
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

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const watches = runs.map(startWatch);
try {
  await Promise.all(watches.map((w) => w.watching));
  await sleep(gapMs);
  for (let i = 1; i <= edits; i += 1) {
    for (const run of runs) {
      const ms = await edit(run, `watch bench ${run.name} ${Date.now()}`);
      run.answered.push(ms);
      process.stderr.write(`edit ${i} ${run.name}: answered ${ms} ms\n`);
      await sleep(gapMs);
    }
  }
} finally {
  for (const w of watches) w.child.kill('SIGINT');
}
for (const run of runs) {
  process.stdout.write(
    `${run.name}: answered median ${median(run.answered)} ms (${run.answered.join(', ')}); watch's own ${run.reported.join(', ')} ms\n  ${run.lines.join('\n  ')}\n`,
  );
}
