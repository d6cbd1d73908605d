/**
 * A throw-away esteps project for the up/down/ps end-to-end tests: its own name, working
 * directory (with a `.env` naming the stack images, as `npm run setup` writes it) and free
 * host port. Disposing it removes everything carrying its project label, its built image
 * and its directory, whether the test passed or not.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { labels } from '../cli/engine/labels.js';
import type { OperationContext } from '../cli/operations/context.js';
import { type DownOutcome, down } from '../cli/operations/down.js';
import { type PsOutcome, ps } from '../cli/operations/ps.js';
import { type UpOutcome, up } from '../cli/operations/up.js';
import { createProgress } from '../cli/ui/progress.js';
import { imageVariables } from '../stacks/model/image-defaults.js';
import { runCli } from './support/cli.js';
import { freePort, removeProject, stackImage, testEngine, uniqueName } from './support/engine.js';

export interface ProjectFixture extends AsyncDisposable {
  readonly project: string;
  readonly dir: string;
  port: number;
  ctx(env?: Record<string, string>, signal?: AbortSignal): OperationContext;
  up(env?: Record<string, string>): Promise<UpOutcome>;
  down(volumes?: boolean): Promise<DownOutcome>;
  ps(): Promise<PsOutcome>;
  /** Runs the built CLI (`node dist/esteps.js`) in the project's directory. */
  cli(
    args: string[],
    env?: Record<string, string>,
  ): Promise<{ exitCode: number; stdout: string; stderr: string; json: Record<string, unknown> }>;
  url(path: string): string;
}

export async function projectFixture(prefix: string): Promise<ProjectFixture> {
  const project = uniqueName(prefix);
  const dir = await mkdtemp(join(tmpdir(), `${project}-`));
  const images = imageVariables.map((v) => `${v}=${stackImage(v)}`).join('\n');
  await writeFile(join(dir, '.env'), `${images}\n`);
  const fixture: ProjectFixture = {
    project,
    dir,
    port: await freePort(),
    ctx(env = {}, signal = new AbortController().signal) {
      return {
        cwd: dir,
        env: { ...process.env, ESTEPS_USERSVC_PORT: String(fixture.port), ...env },
        progress: createProgress({ quiet: true }),
        signal,
        output: () => undefined,
      };
    },
    up: (env) => up(fixture.ctx(env), { project }),
    down: (volumes = false) => down(fixture.ctx(), { project, volumes }),
    ps: () => ps(fixture.ctx(), { project }),
    cli: (args, env = {}) =>
      runCli([...args, '-p', project], {
        cwd: dir,
        env: { ESTEPS_USERSVC_PORT: String(fixture.port), ...env },
        timeoutMs: 300_000,
      }),
    url: (path) => `http://127.0.0.1:${fixture.port}${path}`,
    async [Symbol.asyncDispose]() {
      await removeProject(project);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** One HTTP call to the service: status and parsed JSON body. */
export async function call(
  method: 'GET' | 'PUT' | 'DELETE' | 'POST',
  url: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(url, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    headersTimeout: 5000,
    bodyTimeout: 5000,
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** The IDs of the project's containers by service. */
export async function containerIds(project: string): Promise<Record<string, string>> {
  const { docker } = await testEngine();
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${labels.project}=${project}`] },
  });
  // Service containers only: a build's step containers carry the image's labels (the project
  // and service too), and like a volume helper they have no replica; an interrupted build's
  // may still be going away when `up` has returned.
  return Object.fromEntries(
    list
      .filter((c) => c.Labels[labels.replica] !== undefined)
      .map((c) => [c.Labels[labels.service] ?? '', c.Id]),
  );
}

/**
 * A one-service stack file of a user's own, written into a new temporary folder: the
 * Node.js image running `node -e script`, port 5000 published on a free 127.0.0.1 port,
 * ready once `GET /` answers 2xx within `probeTimeoutMs`. For driving `up` into its failure
 * paths through the CLI, as a user meets them.
 */
export async function writeNodeScriptStack(options: {
  service: string;
  script: string;
  probeTimeoutMs?: number;
  restart?: 'no' | 'unless-stopped';
}): Promise<{ dir: string; file: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `esteps-${options.service}-`));
  const file = join(dir, 'esteps.stack.ts');
  const service = {
    image: { env: 'ESTEPS_NODE_IMAGE', default: 'node:20-bookworm-slim' },
    command: ['/usr/local/bin/node', '-e', options.script],
    ports: [{ hostPort: 0, containerPort: 5000 }],
    httpProbe: { path: '/', containerPort: 5000, timeoutMs: options.probeTimeoutMs ?? 60_000 },
    restart: options.restart ?? 'unless-stopped',
  };
  await writeFile(
    file,
    [
      "import { defineStack } from 'esteps';",
      '',
      'export default defineStack({',
      `  name: ${JSON.stringify(options.service)},`,
      `  services: { ${options.service}: ${JSON.stringify(service, null, 2)} },`,
      '});',
      '',
    ].join('\n'),
  );
  return { dir, file, remove: () => rm(dir, { recursive: true, force: true }) };
}
