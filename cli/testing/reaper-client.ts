import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type Docker from 'dockerode';
import { reaperContainerPort, reaperProtocolVersion } from '../../service/reaper/protocol.js';
import { imageDefaults } from '../../stacks/model/image-defaults.js';
import type { EngineEndpoint } from '../engine/client.js';
import { statusCode } from '../engine/engine-errors.js';
import { labels } from '../engine/labels.js';
import { EstepsError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { readDotEnv } from '../project/load-project.js';
import { ensureReaperImage } from './reaper-image.js';

/**
 * This test process's link to the reaper (service/reaper/): one TCP connection, held open
 * (but never keeping the process alive) for the process's lifetime. When the process dies,
 * the connection drops, and the reaper removes every project this run marked.
 */
export interface Reaper {
  /** This process's run id, on every project marker it makes. */
  readonly run: string;
  /**
   * Marks a project as this run's, before anything of it is created: a volume
   * `<project>.test-run` carrying the project's label and the run's. It goes with the
   * project (`down` with volumes); the reaper removes the project if the process dies first.
   */
  mark(project: string): Promise<void>;
  /** Says the run ends in order (synchronous, for process 'exit'): reap without the grace. */
  done(): void;
}

/** One container per engine, shared by every test process that uses it. */
export const reaperContainerName = 'esteps-reaper';

export function markerVolumeName(project: string): string {
  return `${project}.test-run`;
}

/** A run id per process: what the reaper's label filter sees. */
export const runId = `r${process.pid}-${randomBytes(3).toString('hex')}`;

export interface ReaperOptions {
  readonly docker: Docker;
  /** The engine as connectEngine found it (DOCKER_HOST, a context, ...). */
  readonly endpoint: EngineEndpoint;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How long to try to reach (or start) a reaper. @default 60000 */
  readonly timeoutMs?: number;
}

/** Connects (starting the reaper when none runs); reconnects by itself if the link drops. */
export async function connectReaper(options: ReaperOptions): Promise<Reaper> {
  let socket = await reachReaper(options);
  let exiting = false;
  const watch = (s: Socket) => {
    s.on('close', () => {
      if (exiting) return;
      // The reaper went away (removed, restarted engine): a new one must watch this run
      // before the grace of the old link ends (a reaper sweeps unwatched runs at start).
      void reachReaper(options).then(
        (next) => {
          socket = next;
          watch(next);
        },
        () => undefined,
      );
    });
  };
  watch(socket);
  return {
    run: runId,
    async mark(project) {
      await options.docker.createVolume({
        Name: markerVolumeName(project),
        Labels: { [labels.project]: project, [labels.testRun]: runId },
      });
    },
    done() {
      exiting = true;
      // A connected socket with nothing queued writes at once: this reaches the reaper even
      // from the process's 'exit' handler.
      if (!socket.destroyed) socket.end('done\n');
    },
  };
}

/** The running reaper's published port, starting one when none runs; then the handshake. */
async function reachReaper(options: ReaperOptions): Promise<Socket> {
  const { endpoint } = options;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const port = await runningReaperPort(options);
      if (port !== undefined) return await handshake(port);
    } catch (err) {
      if (err instanceof EstepsError) throw err;
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const reason = lastError instanceof Error ? lastError.message : 'it did not answer';
  const where = endpoint.remote
    ? ` (it answers on 127.0.0.1 of the engine's host, ${endpoint.host}: only a test process on that host reaches it)`
    : '';
  throw new EstepsError(
    'START_FAILED',
    `The esteps reaper could not be reached: ${reason}${where}.`,
    {
      hint: `${endpoint.remote ? "Run the tests on the engine's host, or set" : `See \`docker logs ${reaperContainerName}\`; set`} ESTEPS_REAPER=off to run tests without it (a killed test process then leaves its stacks behind).`,
      cause: lastError,
    },
  );
}

/** The reaper's host port, or undefined when it is starting or leaving (try again). */
async function runningReaperPort(options: ReaperOptions): Promise<number | undefined> {
  const { docker } = options;
  const container = docker.getContainer(reaperContainerName);
  const info = await container.inspect().catch((err: unknown) => {
    if (statusCode(err) === 404) return undefined;
    throw err;
  });
  if (!info) {
    await createReaper(options);
    return undefined;
  }
  if (info.State.Status === 'created') {
    // Its creator may have died before starting it; starting twice is harmless (304).
    await container.start().catch((err: unknown) => {
      if (statusCode(err) !== 304) throw err;
    });
    return undefined;
  }
  if (!info.State.Running) return undefined; // leaving: it removes itself
  const binding = info.NetworkSettings.Ports?.[`${reaperContainerPort}/tcp`]?.[0];
  return binding ? Number(binding.HostPort) : undefined;
}

async function createReaper(options: ReaperOptions): Promise<void> {
  const { docker, env } = options;
  const image = await ensureReaperImage(docker, await nodeImage(env));
  try {
    const container = await docker.createContainer({
      name: reaperContainerName,
      Image: image,
      Env: [
        `REAPER_PROJECT_LABEL=${labels.project}`,
        `REAPER_RUN_LABEL=${labels.testRun}`,
        `REAPER_LOCK_LABEL=${labels.lock}`,
        `REAPER_IMAGE_LABEL=${labels.image}`,
      ],
      Labels: { [labels.version]: 'reaper' },
      ExposedPorts: { [`${reaperContainerPort}/tcp`]: {} },
      HostConfig: {
        PortBindings: {
          [`${reaperContainerPort}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }],
        },
        Binds: [`${engineSocketPath(env, options.endpoint)}:/var/run/docker.sock`],
        AutoRemove: true,
        RestartPolicy: { Name: '' },
      },
    });
    await container.start();
  } catch (err) {
    // 409: another process created it first; the loop finds theirs.
    if (statusCode(err) !== 409) throw err;
  }
}

/**
 * The engine's socket on the engine's host, for the reaper to mount: the socket esteps reached
 * it by (DOCKER_HOST, a context, a rootless socket found by looking), else the default.
 */
export function engineSocketPath(
  env: Readonly<Record<string, string | undefined>>,
  endpoint: Pick<EngineEndpoint, 'host' | 'remote'>,
): string {
  if (env.ESTEPS_REAPER_SOCKET) return env.ESTEPS_REAPER_SOCKET;
  const { host, remote } = endpoint;
  return !remote && host.startsWith('unix://')
    ? host.slice('unix://'.length)
    : '/var/run/docker.sock';
}

/** As a stack reads it: the environment, then the `.env` setup wrote, then the official image. */
async function nodeImage(env: Readonly<Record<string, string | undefined>>): Promise<string> {
  if (env.ESTEPS_NODE_IMAGE) return env.ESTEPS_NODE_IMAGE;
  const setup = await readDotEnv(packageRoot()).catch(() => ({}) as Record<string, string>);
  return setup.ESTEPS_NODE_IMAGE || imageDefaults.ESTEPS_NODE_IMAGE.default;
}

/** Connects and says hello; resolves once the reaper answered `ok`. */
function handshake(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(3000, () => fail(new Error('no answer to hello')));
    socket.setEncoding('utf8');
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('closed before answering')));
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (!answer.includes('\n')) return;
      const line = answer.slice(0, answer.indexOf('\n'));
      if (line !== `ok ${reaperProtocolVersion}`) {
        fail(new EstepsError('START_FAILED', `The esteps reaper refused this process: ${line}.`));
        return;
      }
      socket.setTimeout(0);
      socket.removeAllListeners('data');
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      socket.setKeepAlive(true, 5000);
      socket.unref();
      resolve(socket);
    });
    socket.write(`hello ${reaperProtocolVersion} ${runId}\n`);
  });
}
