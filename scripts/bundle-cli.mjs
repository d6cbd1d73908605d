// Bundles the CLI into dist/ so that `esteps` starts without resolving and loading hundreds of
// modules: dist/esteps.js is a tiny entry (cli/entry.ts) that answers --version and --help by
// itself and imports the rest; the rest is split into chunks so a command parses only the code
// it runs (yaml, chokidar and the Envoy checker load on first use). Parts of
// dockerode's dependency tree that esteps never uses, and that weigh most on start-up, are left
// out: BuildKit sessions and BuildKit's progress decoder (gRPC, protobuf: we use the legacy
// builder, see shared/ENVIRONMENT.md) and docker-modem's SSH transport (one SSH connection per
// request: esteps has its own, cli/engine/ssh/), and tar-fs (dockerode packs a build context folder with it; esteps sends
// the engine an archive of its own, cli/engine/tar.ts). esbuild stays external: it ships a
// native binary.
import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
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

// ssh2 (engines reached over ssh://, in a chunk of its own) without its optional native
// crypto binding, which it does without (AES-GCM through Node's crypto): bundled, it loads in
// about half the time it takes from its 60 files in node_modules.
const sshWithoutBinding = {
  name: 'esteps-ssh-without-binding',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) =>
      /[\\/]ssh2[\\/]/.test(args.resolveDir)
        ? { path: args.path, namespace: 'esteps-no-binding' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'esteps-no-binding' }, () => ({
      contents: "throw new Error('no native binding');",
      loader: 'js',
    }));
    // Parts esteps never runs, a third of the chunk every ssh:// command parses: the server,
    // SFTP, key generation, ssh2's own HTTP agents, and bcrypt-pbkdf (it decrypts a key with
    // a passphrase: esteps passes none, an encrypted key goes through the agent).
    b.onResolve(
      { filter: /^(\.\/(server|keygen|http-agents|protocol\/SFTP)\.js|bcrypt-pbkdf)$/ },
      (args) =>
        /[\\/]ssh2[\\/]lib([\\/]protocol)?$/.test(args.resolveDir)
          ? { path: args.path, namespace: 'esteps-ssh-unused' }
          : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'esteps-ssh-unused' }, (args) => ({
      contents: `const unused = () => { throw new Error('esteps does not include ssh2 ${args.path}'); };
module.exports = Object.assign(unused, { SFTP: class { constructor() { unused(); } }, pbkdf: unused, OPEN_MODE: {}, STATUS_CODE: {} });`,
      loader: 'js',
    }));
    // Its WebAssembly loaders name __dirname and __filename, which an ES module lacks.
    b.onLoad({ filter: /[\\/]ssh2[\\/]lib[\\/].*\.js$/ }, async (args) => ({
      contents: `var __filename = ${JSON.stringify(args.path)}, __dirname = ${JSON.stringify(dirname(args.path))};\n${await readFile(args.path, 'utf8')}`,
      loader: 'js',
    }));
  },
};

const options = {
  outdir: 'dist',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: ['esbuild', 'cpu-features'],
  plugins: [unused, nodeStreams, quietModem, sshWithoutBinding],
  banner: {
    js: "import { createRequire as __esteps_cr } from 'node:module'; const require = __esteps_cr(import.meta.url);",
  },
  logLevel: 'warning',
  metafile: true,
};
await rm('dist/chunks', { recursive: true, force: true });
await rm('dist/testing-chunks', { recursive: true, force: true });
const result = await build({
  ...options,
  entryPoints: { esteps: 'cli/entry.ts' },
  chunkNames: 'chunks/[name]-[hash]',
});
// `esteps/testing` (package.json "exports"), a build of its own so the command's chunks stay
// as they are: a small entry that test files load, the rest in chunks loaded by up().
await build({
  ...options,
  entryPoints: { testing: 'cli/testing/index.ts' },
  chunkNames: 'testing-chunks/[name]-[hash]',
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
