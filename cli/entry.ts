/**
 * The `esteps` executable's first module, kept tiny: `esteps --version` and `esteps --help`
 * answer from it alone (the help text is the CLI's own, written next to the bundle at build
 * time by scripts/bundle-cli.mjs), and every other command loads the CLI (cli/main.ts) with
 * only the code it uses (the bundle is split; yaml, chokidar, esbuild load on first use).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const only = args.length === 1 ? args[0] : undefined;
const here = dirname(fileURLToPath(import.meta.url));

/** The built help text, or undefined (running from source, or the build wrote none). */
function builtHelp(): string | undefined {
  try {
    return readFileSync(join(here, 'esteps-help.txt'), 'utf8');
  } catch {
    return undefined;
  }
}

if ((only === '--version' || only === '-V') && !process.env.ESTEPS_FULL_CLI) {
  const manifest = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  process.stdout.write(`${manifest.version}\n`);
} else {
  const help = (only === '--help' || only === '-h') && !process.env.ESTEPS_FULL_CLI && builtHelp();
  if (help) process.stdout.write(help);
  else {
    // A hot patch bundles its code while the rest of the CLI and the stack load.
    if (args.includes('hotpatch')) {
      const { startEarlyBundles } = await import('./bundle/early-bundles.js');
      startEarlyBundles(process.cwd(), args, process.env);
    }
    await import('./main.js');
  }
}
