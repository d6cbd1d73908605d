// Bundles the CLI into one file (dist/esteps.js) so that `esteps` starts without resolving and
// loading hundreds of modules. Parts of dockerode's dependency tree that esteps never uses,
// and that weigh most on start-up, are left out: BuildKit sessions and BuildKit's progress
// decoder (gRPC, protobuf: we use the legacy builder, see shared/ENVIRONMENT.md) and the SSH
// transport (ssh2: DOCKER_HOST takes unix:// and tcp:// here). esbuild stays external: it
// ships a native binary.
import { build } from 'esbuild';

const unused = {
  name: 'esteps-unused',
  setup(b) {
    b.onResolve({ filter: /^\.\/(session|ssh|buildkit)$/ }, (args) =>
      /[\\/](dockerode|docker-modem)[\\/]lib$/.test(args.resolveDir)
        ? { path: args.path, namespace: 'esteps-unused' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'esteps-unused' }, (args) => ({
      contents: `module.exports = function () { throw new Error('esteps does not include dockerode ${args.path.slice(2)} support'); };`,
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: ['cli/main.ts'],
  outfile: 'dist/esteps.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: ['esbuild', 'cpu-features'],
  plugins: [unused],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __esteps_cr } from 'node:module'; const require = __esteps_cr(import.meta.url);",
  },
  logLevel: 'warning',
});
