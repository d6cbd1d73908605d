// Bundles the CLI into dist/ so that `esteps` starts without resolving and loading hundreds of
// modules: dist/esteps.js is a tiny entry (cli/entry.ts) that answers --version and --help by
// itself and imports the rest; the rest is split into chunks so a command parses only the code
// it runs (yaml, chokidar and the Envoy checker load on first use). Parts of
// dockerode's dependency tree that esteps never uses, and that weigh most on start-up, are left
// out: BuildKit sessions and BuildKit's progress decoder (gRPC, protobuf: we use the legacy
// builder, see shared/ENVIRONMENT.md) and the SSH transport (ssh2: DOCKER_HOST takes unix://
// and tcp:// here), and tar-fs (dockerode packs a build context folder with it; esteps sends
// the engine an archive of its own, cli/engine/tar.ts). esbuild stays external: it ships a
// native binary.
import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

const unused = {
  name: 'esteps-unused',
  setup(b) {
    b.onResolve({ filter: /^(\.\/(session|ssh|buildkit)|tar-fs)$/ }, (args) =>
      /[\\/](dockerode|docker-modem)[\\/]lib$/.test(args.resolveDir)
        ? { path: args.path, namespace: 'esteps-unused' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'esteps-unused' }, (args) => ({
      contents: `module.exports = function () { throw new Error('esteps does not include dockerode ${args.path.replace('./', '')} support'); };`,
      loader: 'js',
    }));
  },
};

// readable-stream is a copy of Node's own streams for old Nodes: docker-modem takes only its
// Duplex (for exec and attach), which Node's own stream module has too. Handing out that
// module spares every start-up compiling 83 kB.
const nodeStreams = {
  name: 'esteps-node-streams',
  setup(b) {
    b.onResolve({ filter: /^readable-stream$/ }, () => ({
      path: 'readable-stream',
      namespace: 'esteps-node-streams',
    }));
    b.onLoad({ filter: /.*/, namespace: 'esteps-node-streams' }, () => ({
      contents: "module.exports = require('node:stream');",
      loader: 'js',
    }));
  },
};

// Two edits to docker-modem's request building, each found by its text (the build fails when
// a new docker-modem no longer has it):
// - it formats every request's options with util.inspect for its debug log even when that log
//   is off (DEBUG=modem turns it on): 2 to 3 ms of a no-op `up`. Only when it is on;
// - a request over the engine's unix socket gets an empty TLS server name. Without one, Node's
//   http agent asks whether the host, "localhost", is an IP address, and the first IPv6 test
//   of a process compiles a large regular expression: 8 to 20 ms of CPU at the start of every
//   command that talks to the engine. A socket path never carries TLS, so the name is unused.
const modemEdits = [
  ["debug('Sending: %s', util.inspect(", "debug.enabled && debug('Sending: %s', util.inspect("],
  [
    'optionsf.socketPath = socketPath;',
    "optionsf.socketPath = socketPath; optionsf.servername = '';",
  ],
];
const quietModem = {
  name: 'esteps-quiet-modem',
  setup(b) {
    b.onLoad({ filter: /[\\/]docker-modem[\\/]lib[\\/]modem\.js$/ }, async (args) => {
      let source = await readFile(args.path, 'utf8');
      for (const [from, to] of modemEdits) {
        if (!source.includes(from)) throw new Error(`${args.path} no longer has: ${from}`);
        source = source.replace(from, to);
      }
      return { contents: source, loader: 'js' };
    });
  },
};

await rm('dist/chunks', { recursive: true, force: true });
const result = await build({
  entryPoints: { esteps: 'cli/entry.ts' },
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: ['esbuild', 'cpu-features'],
  plugins: [unused, nodeStreams, quietModem],
  banner: {
    js: "import { createRequire as __esteps_cr } from 'node:module'; const require = __esteps_cr(import.meta.url);",
  },
  logLevel: 'warning',
  metafile: true,
});
// What went into each file, for reading with esbuild's analyzer: dist/esteps.meta.json.
await writeFile('dist/esteps.meta.json', JSON.stringify(result.metafile));
// The shebang goes on the entry only (a banner would put it on every chunk).
const entry = await readFile('dist/esteps.js', 'utf8');
await writeFile('dist/esteps.js', `#!/usr/bin/env node\n${entry}`);
// The help text the entry prints by itself: the full CLI's own, made now.
const help = execFileSync('node', ['dist/esteps.js', '--help'], {
  env: { ...process.env, ESTEPS_FULL_CLI: '1', COLUMNS: '100' },
  encoding: 'utf8',
});
await writeFile('dist/esteps-help.txt', help);
