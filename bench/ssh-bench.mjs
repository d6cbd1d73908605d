#!/usr/bin/env node
// esteps against the docker CLI over the same ssh:// link: `esteps ps` and a no-op `esteps up`
// beside `docker ps` and `docker-compose ps`, all with DOCKER_HOST=ssh://root@127.0.0.1:PORT
// to an engine in a container of this machine's engine, reached through OpenSSH's sshd with
// key authentication (test/support/remote-engines.ts: the engine the tests use). Rounds are
// interleaved; each figure is a command's wall time, and the SSH logins sshd accepted for it.
//
//   npm run build && node bench/ssh-bench.mjs [--rounds N] [--compare OTHER/dist/esteps.js]
//
// --compare adds another build's `esteps ps` and no-op `up` to the same rounds (the code
// before a change, built in a checkout of its own).
//
// The docker CLI and docker-compose 1.29 (Debian's; it runs the `ssh` binary, as the docker
// CLI does) run OpenSSH's client, which reads known_hosts from the passwd home, not $HOME: a
// wrapper `ssh` first on PATH gives it the bench's known_hosts and key. esteps reads both from
// $HOME. Everything made here is removed at the end.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { execa } from 'execa';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/esteps.js');
const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 11;
const compareArg = process.argv.indexOf('--compare');
const other = compareArg > 0 ? process.argv[compareArg + 1] : undefined;
const results = join(root, 'bench', 'results');

// The test support is TypeScript: bundled here, two folders below the root as it expects.
await mkdir(results, { recursive: true });
const support = join(results, 'remote-engines.bundle.mjs');
await build({
  entryPoints: [join(root, 'test/support/remote-engines.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  outfile: support,
  logLevel: 'warning',
});
const { startRemoteEngine, stepOneImages } = await import(support);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const engine = await startRemoteEngine({ images: stepOneImages(), stackPorts: 1 });
const project = `bench-ssh-${process.pid}`;
const stack = 'test/support/remote-step1.stack.ts';
try {
  const bin = join(engine.dir, 'bin');
  await mkdir(bin);
  const knownHosts = join(engine.home, '.ssh', 'known_hosts');
  const key = join(engine.home, '.ssh', 'id_ed25519');
  await writeFile(
    join(bin, 'ssh'),
    `#!/bin/sh\nexec /usr/bin/ssh -o UserKnownHostsFile=${knownHosts} -o IdentityFile=${key} -o IdentitiesOnly=yes -o BatchMode=yes "$@"\n`,
  );
  await chmod(join(bin, 'ssh'), 0o755);
  const env = {
    DOCKER_HOST: `ssh://root@127.0.0.1:${engine.sshPort}`,
    DOCKER_CONTEXT: '',
    DOCKER_TLS_VERIFY: '',
    SSH_AUTH_SOCK: '',
    HOME: engine.home,
    PATH: `${bin}:${process.env.PATH}`,
    ESTEPS_USERSVC_PORT: String(engine.stackPorts[0]),
    NO_COLOR: '1',
  };
  const run = async (file, args) => {
    const r = await execa(file, args, { cwd: root, env, all: true, reject: false });
    if (r.exitCode !== 0) throw new Error(`${file} ${args.join(' ')} failed:\n${r.all}`);
    return r;
  };
  const up = await run('node', [cli, 'up', '-f', stack, '-p', project]);
  process.stderr.write(`${up.stdout}\n`);
  const composeFile = join(engine.dir, 'compose', 'docker-compose.yml');
  await run('node', [cli, 'render', '-f', stack, '-p', project, '-o', composeFile]);

  const commands = {
    'docker ps': ['docker', ['ps']],
    'docker-compose ps': ['docker-compose', ['-p', project, '-f', composeFile, 'ps']],
    'esteps ps': ['node', [cli, 'ps', '-f', stack, '-p', project]],
    'esteps up (no-op)': ['node', [cli, 'up', '-f', stack, '-p', project]],
    ...(other && {
      'other esteps ps': ['node', [other, 'ps', '-f', stack, '-p', project]],
      'other up (no-op)': ['node', [other, 'up', '-f', stack, '-p', project]],
    }),
  };
  const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  const logins = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (const [file, args] of Object.values(commands)) await run(file, args); // warm-up
  for (let round = 1; round <= rounds; round++) {
    for (const [name, [file, args]] of Object.entries(commands)) {
      const before = await engine.sshLogins();
      const start = performance.now();
      await run(file, args);
      times[name].push(Math.round(performance.now() - start));
      // sshd writes its log line as it accepts: give it a moment before reading.
      await new Promise((r) => setTimeout(r, 100));
      logins[name].push((await engine.sshLogins()) - before);
    }
    process.stderr.write(`round ${round}/${rounds}\n`);
  }
  const rows = Object.keys(commands).map((name) => ({
    command: name,
    medianMs: median(times[name]),
    runsMs: times[name],
    sshLogins: median(logins[name]),
  }));
  console.log('COMMAND              MEDIAN  SSH LOGINS  RUNS (ms)');
  for (const r of rows) {
    console.log(
      `${r.command.padEnd(20)} ${String(r.medianMs).padStart(6)}  ${String(r.sshLogins).padStart(10)}  ${r.runsMs.join(' ')}`,
    );
  }
  const out = join(results, `ssh-bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(
    out,
    JSON.stringify({ rounds, load: (await import('node:os')).loadavg(), rows }, null, 2),
  );
  console.log(`raw: ${out}`);
  await run('node', [cli, 'down', '-p', project, '--volumes']);
} finally {
  await engine.remove();
  await rm(support, { force: true });
}
