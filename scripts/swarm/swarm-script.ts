/**
 * What swarm:up and swarm:down share: their options, and the one place that prints results
 * and errors. Progress goes to stderr (`swarm: ...`); stdout carries the result: lines for
 * the shell, or exactly one JSON document with --json (`{"ok": false, "error": {...}}` on
 * failure). Any failure exits 1.
 */
import { parseArgs } from 'node:util';
import { SetupError } from '../standin-images.js';
import { type ClusterOptions, defaultClusterOptions } from './cluster-spec.js';

export interface SwarmScriptOptions extends ClusterOptions {
  readonly json: boolean;
}

export interface SwarmScriptResult {
  /** The --json document, without `ok`. */
  readonly json: Record<string, unknown>;
  /** Lines for stdout without --json. */
  readonly lines: readonly string[];
}

const usage = (command: string) => `usage: npm run ${command} -- [options]

  --cluster NAME     cluster name, prefix of everything it creates (default ${defaultClusterOptions.name})
  --nodes N          engines: 1 manager and N-1 workers (default ${defaultClusterOptions.nodes}; swarm:up only)
  --port-base PORT   first of the cluster's 127.0.0.1 ports (default ${defaultClusterOptions.portBase}; swarm:up only)
  --json             print one JSON document on stdout
`;

export function parseSwarmArgs(
  command: string,
  argv: readonly string[],
): SwarmScriptOptions | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        cluster: { type: 'string' },
        nodes: { type: 'string' },
        'port-base': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new SetupError((err as Error).message, `see npm run ${command} -- --help`, 'USAGE');
  }
  if (values.help) {
    process.stdout.write(usage(command));
    return undefined;
  }
  const number = (v: unknown, fallback: number) => (v === undefined ? fallback : Number(v));
  return {
    name: (values.cluster as string | undefined) ?? defaultClusterOptions.name,
    nodes: number(values.nodes, defaultClusterOptions.nodes),
    portBase: number(values['port-base'], defaultClusterOptions.portBase),
    json: values.json === true,
  };
}

export const log = (line: string) => process.stderr.write(`swarm: ${line}\n`);

/** Runs a swarm script: parses the options, prints the result or the error, sets the exit code. */
export async function runSwarmScript(
  command: string,
  main: (options: SwarmScriptOptions) => Promise<SwarmScriptResult>,
): Promise<void> {
  let json = process.argv.includes('--json');
  try {
    const options = parseSwarmArgs(command, process.argv.slice(2));
    if (!options) return;
    json = options.json;
    const result = await main(options);
    process.stdout.write(
      json
        ? `${JSON.stringify({ ok: true, ...result.json }, null, 2)}\n`
        : result.lines.map((l) => `${l}\n`).join(''),
    );
  } catch (err) {
    const e =
      err instanceof SetupError
        ? err
        : new SetupError(
            `unexpected error: ${err instanceof Error ? err.message : String(err)}`,
            'this is a bug in the swarm scripts: rerun with ESTEPS_DEBUG=1 for the stack trace and report it',
            'INTERNAL',
          );
    if (process.env.ESTEPS_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.stderr.write(`swarm: error: ${e.message}\nswarm: next step: ${e.hint}\n`);
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ ok: false, error: { code: e.code, message: e.message, hint: e.hint } }, null, 2)}\n`,
      );
    }
    process.exitCode = 1;
  }
}
