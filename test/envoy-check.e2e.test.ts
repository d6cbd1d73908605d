/**
 * `esteps envoy check FILE...` as a user runs it, on real configurations from Envoy's examples
 * (test/envoy-corpus) and on broken copies of them: exit codes, the text, and the --json
 * document. No Envoy is involved; no engine either.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { repoRoot } from './support/engine.js';

const corpus = new URL('./envoy-corpus/', import.meta.url);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esteps-envoy-check-'));
  const frontProxy = await readFile(new URL('examples/front-proxy/envoy.yaml', corpus), 'utf8');
  await writeFile(join(dir, 'front-proxy.yaml'), frontProxy);
  // Lower-case enum names and a deprecated field: Envoy runs both, the second with a warning.
  await writeFile(
    join(dir, 'warned.yaml'),
    frontProxy
      .replace('lb_policy: ROUND_ROBIN', 'lb_policy: round_robin')
      .replace(/^(\s*)type: STRICT_DNS$/m, '$1type: strict_dns\n$1dns_refresh_rate: 5s'),
  );
  // A negative route timeout and a misspelt cluster: Envoy refuses both.
  await writeFile(
    join(dir, 'broken.yaml'),
    frontProxy.replace(
      /^(\s*)cluster: service1-envoy$/m,
      '$1cluster: service1-envy\n$1timeout: -1s',
    ),
  );
  await writeFile(join(dir, 'envoy.json'), JSON.stringify({ static_resources: { clusters: [] } }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('esteps envoy check', () => {
  it('passes a real configuration: exit 0, OK', async () => {
    const run = await runCli(['envoy', 'check', 'front-proxy.yaml', 'envoy.json'], { cwd: dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe('front-proxy.yaml: OK\nenvoy.json: OK');
  });

  it('shows warnings apart from errors, and still exits 0', async () => {
    const run = await runCli(['envoy', 'check', 'warned.yaml', '--json'], { cwd: dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json.ok).toBe(true);
    const [file] = run.json.files as {
      errors: unknown[];
      warnings: { path: string; suggestion?: string }[];
    }[];
    expect(file!.errors).toEqual([]);
    expect(file!.warnings).toEqual([
      expect.objectContaining({
        path: 'static_resources.clusters[0].dns_refresh_rate',
        suggestion: 'cluster_type',
      }),
    ]);
    const text = await runCli(['envoy', 'check', 'warned.yaml'], { cwd: dir });
    expect(text.stdout).toMatch(
      /^warned\.yaml: 0 errors, 1 warning\n {2}warning static_resources\.clusters\[0\]\.dns_refresh_rate \(line \d+\): is deprecated/,
    );
  });

  it('refuses what Envoy refuses: exit 3, every problem with its path, line and did-you-mean, one JSON document', async () => {
    const run = await runCli(['envoy', 'check', 'broken.yaml', 'front-proxy.yaml', '--json'], {
      cwd: dir,
    });
    expect(run.exitCode).toBe(3);
    const error = run.json.error as {
      code: string;
      message: string;
      files: { file: string; errors: Record<string, unknown>[] }[];
    };
    expect(run.json.ok).toBe(false);
    expect(error.code).toBe('ENVOY_CONFIG_INVALID');
    expect(error.message).toBe('Envoy would refuse broken.yaml (2 errors).');
    const route =
      'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route';
    expect(error.files[0]!.errors).toEqual([
      {
        path: `${route}.timeout`,
        line: expect.any(Number),
        message: '-1s is negative: Envoy refuses negative durations ("Expected positive duration")',
        check: 'negative-duration',
      },
      expect.objectContaining({
        path: `${route}.cluster`,
        suggestion: 'service1-envoy',
        check: 'route-cluster',
      }),
    ]);
    expect(error.files[1]).toEqual({
      file: 'front-proxy.yaml',
      kind: 'bootstrap',
      errors: [],
      warnings: [],
    });

    const text = await runCli(['envoy', 'check', 'broken.yaml'], { cwd: dir });
    expect(text.exitCode).toBe(3);
    expect(text.stderr).toContain('esteps: Envoy would refuse broken.yaml (2 errors).');
    expect(text.stderr).toContain('no cluster "service1-envy"; did you mean "service1-envoy"?');
  });

  it("applies esteps' policy only when asked", async () => {
    const exposed = JSON.stringify({
      admin: { address: { socket_address: { address: '0.0.0.0', port_value: 9901 } } },
    });
    await writeFile(join(dir, 'admin.json'), exposed);
    expect((await runCli(['envoy', 'check', 'admin.json'], { cwd: dir })).exitCode).toBe(0);
    const run = await runCli(['envoy', 'check', 'admin.json', '--policy', '--json'], { cwd: dir });
    expect(run.exitCode).toBe(3);
    const error = run.json.error as { files: { errors: { check: string }[] }[] };
    expect(error.files[0]!.errors.map((e) => e.check)).toEqual(['admin-loopback']);
  });

  it('answers for a file that is missing or not a configuration at all', async () => {
    await writeFile(join(dir, 'garbage.yaml'), 'static_resources: [unclosed\n');
    const run = await runCli(['envoy', 'check', 'missing.yaml', 'garbage.yaml', '--json'], {
      cwd: dir,
    });
    expect(run.exitCode).toBe(3);
    const error = run.json.error as { files: { file: string; errors: { message: string }[] }[] };
    expect(error.files.map((f) => [f.file, f.errors[0]!.message])).toEqual([
      ['missing.yaml', 'cannot be read: no such file'],
      ['garbage.yaml', expect.stringMatching(/^is not YAML \(line \d+\)/)],
    ]);
  });

  it('is a usage error without a file', async () => {
    const run = await runCli(['envoy', 'check', '--json'], { cwd: dir });
    expect(run.exitCode).toBe(2);
    expect((run.json.error as { code: string }).code).toBe('USAGE');
  });
});

describe("the checker's cost to commands that check nothing", () => {
  it("is not in the code every command loads: it and Envoy's API load on first use only", async () => {
    const meta = JSON.parse(await readFile(join(repoRoot, 'dist/esteps.meta.json'), 'utf8')) as {
      outputs: Record<
        string,
        {
          entryPoint?: string;
          inputs: Record<string, unknown>;
          imports: { path: string; kind: string }[];
        }
      >;
    };
    const outputs = meta.outputs;
    const [entry] = Object.entries(outputs).find(([, o]) => o.entryPoint === 'cli/entry.ts')!;
    // What `esteps` loads before any command runs: the CLI's main chunk and its static imports.
    const main = outputs[entry]!.imports.find(
      (i) => i.kind === 'dynamic-import' && 'cli/main.ts' in (outputs[i.path]?.inputs ?? {}),
    )!.path;
    const loaded = new Set<string>();
    const queue = [main];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (loaded.has(file) || !outputs[file]) continue;
      loaded.add(file);
      for (const i of outputs[file]!.imports) if (i.kind === 'import-statement') queue.push(i.path);
    }
    const inputs = [...loaded].flatMap((f) => Object.keys(outputs[f]!.inputs));
    expect(inputs).toContain('cli/commands/envoy.ts');
    for (const module of [
      'check-envoy.ts',
      'envoy-api.ts',
      'proto-json-check.ts',
      'startup-checks.ts',
      'envoy-config-file.ts',
    ]) {
      expect(inputs).not.toContain(`stacks/envoy/${module}`);
    }
    expect(inputs.some((i) => i.includes('node_modules/yaml/'))).toBe(false);
  });
});
