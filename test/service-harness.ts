/**
 * Runs the bundled user service (or its supervisor) on the host as a child process, pointed
 * at a disposable Postgres container, for the service's end-to-end tests. Processes and
 * temporary directories go away on dispose, failed test or not.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { bundleService } from './support/bundles.js';
import { freePort, repoRoot } from './support/engine.js';
import type { PostgresFixture } from './support/postgres.js';

export interface Bundles {
  readonly dir: string;
  readonly service: string;
  readonly supervisor: string;
  readonly version: string;
}

let bundles: Promise<Bundles> | undefined;

/** The service and supervisor bundled once per test file, in a temporary directory. */
export function bundled(): Promise<Bundles> {
  bundles ??= bundleService(repoRoot).then((b) => {
    const dir = mkdtempSync(join(tmpdir(), 'esteps-svc-'));
    writeFileSync(join(dir, 'service.js'), b.service);
    writeFileSync(join(dir, 'supervisor.js'), b.supervisor);
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    return {
      dir,
      service: join(dir, 'service.js'),
      supervisor: join(dir, 'supervisor.js'),
      version: b.version,
    };
  });
  return bundles;
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: Record<string, unknown> | undefined;
}

/** One HTTP request; never throws for an HTTP status. */
export async function call(
  url: string,
  method = 'GET',
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const hasBody = body !== undefined;
  // Objects go as JSON; a string body goes exactly as given, with only the caller's headers.
  const isObject = hasBody && typeof body !== 'string' && !Buffer.isBuffer(body);
  const res = await request(url, {
    method: method as 'GET',
    headers: isObject ? { 'content-type': 'application/json', ...headers } : headers,
    body: isObject ? JSON.stringify(body) : (body as string | Buffer | undefined),
    // PUT and login wait behind scrypt at 128 MiB per hash, two at a time: many concurrent
    // ones on a shared machine take a while.
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  const text = await res.body.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

export interface RunningProcess extends AsyncDisposable {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  output(): string;
  /** Resolves with the exit code (or signal) once the process ended. */
  readonly exited: Promise<number | string>;
  stop(): Promise<void>;
}

/** The environment that points the service at `pg` (or at a port where nothing listens yet). */
export function databaseEnv(pg: Pick<PostgresFixture, 'host' | 'port' | 'password'>) {
  return { PGHOST: pg.host, PGPORT: String(pg.port), PGUSER: 'postgres', PGPASSWORD: pg.password };
}

function launch(
  script: string,
  args: string[],
  env: Record<string, string>,
  port: number,
  dir: string,
) {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const running: RunningProcess = {
    child,
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async [Symbol.asyncDispose]() {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return running;
}

/** Polls `GET /user/health` until it answers 200 (bounded). */
export async function waitHealthy(url: string, timeoutMs = 15_000): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const answer = await call(`${url}/user/health`);
      if (answer.status === 200) return answer;
      last = answer.text;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer health within ${timeoutMs} ms: ${String(last)}`);
}

/** Polls until the health answer says the database is up (bounded). */
export async function waitDatabaseUp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await call(`${url}/user/health`).catch(() => undefined);
    if (answer?.json?.database === 'up') return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url}: the database did not come up within ${timeoutMs} ms`);
}

/** The bundled service alone, started and not waited for (for start-up failures). */
export async function launchService(env: Record<string, string>): Promise<RunningProcess> {
  const { service } = await bundled();
  const dir = mkdtempSync(join(tmpdir(), 'esteps-svc-run-'));
  return launch(service, [], env, await freePort(), dir);
}

/** The bundled service alone (no supervisor), listening on a free 127.0.0.1 port. */
export async function startService(env: Record<string, string>): Promise<RunningProcess> {
  const running = await launchService(env);
  await waitHealthy(running.url).catch(async (err) => {
    await running[Symbol.asyncDispose]();
    throw new Error(`${(err as Error).message}\n${running.output()}`);
  });
  return running;
}

export interface RunningSupervisor extends RunningProcess {
  readonly socket: string;
  readonly serviceFile: string;
  /** Runs `supervisor.js <args>` as a client and returns its one JSON line and exit code. */
  client(
    ...args: string[]
  ): Promise<{ code: number; answer: Record<string, unknown>; raw: string }>;
}

/** The bundled supervisor running a copy of the bundled service, control socket in a temp dir. */
export async function startSupervisor(env: Record<string, string>): Promise<RunningSupervisor> {
  const { service, supervisor } = await bundled();
  const dir = mkdtempSync(join(tmpdir(), 'esteps-sup-'));
  const serviceFile = join(dir, 'service.js');
  copyFileSync(service, serviceFile);
  const socket = join(dir, 'control.sock');
  const base = { SERVICE_FILE: serviceFile, SUPERVISOR_SOCKET: socket, ...env };
  const running = launch(supervisor, [], base, await freePort(), dir);
  const client = (...args: string[]) =>
    new Promise<{ code: number; answer: Record<string, unknown>; raw: string }>((resolve) => {
      const child = spawn(process.execPath, [supervisor, ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', SUPERVISOR_SOCKET: socket },
      });
      let raw = '';
      child.stdout.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      child.once('exit', (code) => {
        let answer: Record<string, unknown> = {};
        try {
          answer = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          answer = { unreadable: raw };
        }
        resolve({ code: code ?? -1, answer, raw });
      });
    });
  const result: RunningSupervisor = { ...running, socket, serviceFile, client };
  await waitHealthy(running.url).catch(async (err) => {
    await running[Symbol.asyncDispose]();
    throw new Error(`${(err as Error).message}\n${running.output()}`);
  });
  return result;
}

export interface LoadResult {
  readonly requests: { readonly total: number; readonly average: number };
  readonly latency: { readonly p99: number; readonly average: number };
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly resets: number;
}

/** autocannon (it ships no types): a bounded keep-alive load on one URL. */
export function loadTest(options: {
  url: string;
  connections: number;
  duration: number;
}): Promise<LoadResult> {
  const autocannon = createRequire(import.meta.url)('autocannon') as (
    options: object,
  ) => Promise<LoadResult>;
  return autocannon(options);
}

/** Resident memory of a process on this host, from /proc (bytes). */
export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

export interface RawExchange {
  readonly received: Buffer;
  /** True when the server closed the connection (rather than `until` or the timeout ending it). */
  readonly closedByServer: boolean;
}

/**
 * Writes `request` byte for byte to a new TCP connection, half-closes it when asked (shutdown
 * of the client's write side), and collects what comes back until the server closes, until
 * `until` says enough, or until the timeout.
 */
export function rawExchange(
  port: number,
  request: string | Buffer,
  options: { halfClose?: boolean; until?: (received: Buffer) => boolean; timeoutMs?: number } = {},
): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => {
      if (options.halfClose) socket.end(request);
      else socket.write(request);
    });
    const finish = (closedByServer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closedByServer });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 10_000);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (options.until?.(Buffer.concat(chunks))) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export interface RawResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly json: Record<string, unknown> | undefined;
}

/** Splits bytes from the server into HTTP/1.1 responses (bodies framed by Content-Length). */
export function parseResponses(data: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd === -1) throw new Error(`incomplete head at byte ${at}`);
    const [statusLine, ...lines] = data.subarray(at, headEnd).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine ?? '');
    if (status === null) throw new Error(`not a status line at byte ${at}: ${statusLine}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const body = data.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8');
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(body) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    responses.push({ status: Number(status[1]), headers, body, json });
    at = headEnd + 4 + length;
  }
  return responses;
}

export { repoRoot };
