/**
 * Test Swarms: `npm run swarm:up` / `swarm:down` run as a user runs them, on a cluster name and
 * a block of 127.0.0.1 ports of the test's own, and removed even when the test fails
 * (`await using`, or `removeSwarm` in afterAll).
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import Docker from 'dockerode';
import { execa } from 'execa';
import { dockerOptions } from '../../cli/engine/client.js';
import { labels } from '../../cli/engine/labels.js';
import { readProgressStream } from '../../cli/engine/progress-stream.js';
import type { SwarmFacts } from '../../scripts/swarm/cluster-facts.js';
import { removeByLabel, repoRoot, testEngine } from './engine.js';

export interface SwarmScriptRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed, with --json ({} otherwise). */
  readonly json: Record<string, unknown>;
  readonly durationMs: number;
}

/** `node dist/scripts/swarm/swarm-<up|down>.js ...args`, never throwing. */
export async function runSwarmScript(
  script: 'up' | 'down',
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<SwarmScriptRun> {
  const started = Date.now();
  const r = await execa(
    'node',
    [join(repoRoot, `dist/scripts/swarm/swarm-${script}.js`), ...args],
    {
      cwd: repoRoot,
      reject: false,
      timeout: 600_000,
      env: { NO_COLOR: '1', ...env },
    },
  );
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    // Not a --json run.
  }
  return {
    exitCode: r.exitCode ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    json,
    durationMs: Date.now() - started,
  };
}

/**
 * A base port whose block of `size` ports on 127.0.0.1 is free now, below the ephemeral range
 * (where freePort() picks), on a multiple of 100 other than the default cluster's block.
 */
export async function freePortBlock(size = 100): Promise<number> {
  // 23700 and 23800 would overlap the default cluster's block (23750-23849).
  const candidates = Array.from({ length: 100 }, (_, i) => 22000 + i * 100).filter(
    (b) => b !== 23700 && b !== 23800,
  );
  const start = Math.floor(Math.random() * candidates.length);
  for (let i = 0; i < candidates.length; i++) {
    const base = candidates[(start + i) % candidates.length]!;
    if (await allFree(base, size)) return base;
  }
  throw new Error('no free block of 127.0.0.1 ports between 22000 and 31999');
}

async function allFree(base: number, size: number): Promise<boolean> {
  for (let port = base; port < base + size; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

/** Removes a test cluster: swarm:down, then anything it left carrying the cluster's label. */
export async function removeSwarm(cluster: string): Promise<SwarmScriptRun> {
  const run = await runSwarmScript('down', ['--cluster', cluster, '--json']);
  const { docker } = await testEngine();
  await removeByLabel(docker, labels.swarm, cluster);
  return run;
}

/** A client of a node's engine (the manager's: facts.dockerHost). */
export function nodeEngine(dockerHost: string): Docker {
  return new Docker(dockerOptions({ DOCKER_HOST: dockerHost }));
}

/** Pushes `ref` from `docker` to its registry; failures inside the stream are errors too. */
export async function pushImage(docker: Docker, ref: string): Promise<void> {
  // The engine wants an X-Registry-Auth header even for a registry without authentication.
  const stream = (await docker.getImage(ref).push({ authconfig: {} })) as NodeJS.ReadableStream;
  let error: string | undefined;
  await readProgressStream(stream, (m) => {
    if (m.error || m.errorDetail) error ??= m.errorDetail?.message ?? m.error;
  });
  if (error) throw new Error(`push ${ref}: ${error}`);
}

/** Pulls `ref` onto `docker`; failures inside the stream are errors too. */
export async function pullImage(docker: Docker, ref: string): Promise<void> {
  const stream = (await docker.pull(ref)) as NodeJS.ReadableStream;
  let error: string | undefined;
  await readProgressStream(stream, (m) => {
    if (m.error || m.errorDetail) error ??= m.errorDetail?.message ?? m.error;
  });
  if (error) throw new Error(`pull ${ref}: ${error}`);
}

export type { SwarmFacts };
