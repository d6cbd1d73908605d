/**
 * What the fault tests share: a step 1 project driven through the built CLI only (so they do
 * not depend on how its secrets reach the containers), a steady open-loop load of writes
 * that classifies every answer, and reading back what was acknowledged. Everything a test
 * brings up is removed by its project label when the test ends, passed or not.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { labels } from '../../cli/engine/labels.js';
import { imageVariables } from '../../stacks/model/image-defaults.js';
import { type CliRun, runCli } from '../support/cli.js';
import { freePort, removeProject, stackImage, testEngine, uniqueName } from '../support/engine.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Step1Project extends AsyncDisposable {
  readonly project: string;
  readonly dir: string;
  readonly port: number;
  /** `node dist/esteps.js <args> -p <project>` in the project's folder. */
  cli(args: string[], env?: Record<string, string>): Promise<CliRun>;
  url(path: string): string;
  /** The project's container of `service` (replica 1), as the engine sees it now. */
  container(service: string): Promise<{ id: string; restartCount: number; state: string }>;
}

/** A new step 1 project (own name, folder, `.env` with setup's images, free port), not up yet. */
export async function step1Project(prefix: string): Promise<Step1Project> {
  const project = uniqueName(prefix);
  const dir = await mkdtemp(join(tmpdir(), `${project}-`));
  const port = await freePort();
  const images = imageVariables.map((v) => `${v}=${stackImage(v)}`).join('\n');
  await writeFile(join(dir, '.env'), `${images}\nESTEPS_USERSVC_PORT=${port}\n`);
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli([...args, '-p', project], { cwd: dir, env, timeoutMs: 240_000 });
  return {
    project,
    dir,
    port,
    cli,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    container: (service) => projectContainer(project, service),
    async [Symbol.asyncDispose]() {
      await cli(['down', '--volumes']).catch(() => undefined);
      await removeProject(project);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function projectContainer(
  project: string,
  service: string,
): Promise<{ id: string; restartCount: number; state: string }> {
  const { docker } = await testEngine();
  const [found] = await docker.listContainers({
    all: true,
    filters: { label: [`${labels.project}=${project}`, `${labels.service}=${service}`] },
  });
  if (!found) throw new Error(`project ${project} has no ${service} container`);
  const info = await docker.getContainer(found.Id).inspect();
  return { id: found.Id, restartCount: info.RestartCount, state: info.State.Status };
}

/** `cli(['up'])` that must succeed: the test fails with esteps' own words otherwise. */
export async function upOk(p: Step1Project, args: string[] = []): Promise<CliRun> {
  const run = await p.cli(['up', ...args]);
  if (run.exitCode !== 0) {
    throw new Error(`esteps up exited ${run.exitCode}:\n${run.stderr}\n${run.stdout}`);
  }
  return run;
}

/** One answer the load got, by when it was sent (ms since the load started). */
export interface Answered {
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly status: number;
  readonly username: string;
  /** The JSON body, or the error's code when no HTTP answer came. */
  readonly detail: string;
  readonly retryAfter: string | undefined;
}

export interface LoadReport {
  readonly startedAt: number;
  readonly answers: Answered[];
  /** Usernames whose PUT answered 201. */
  readonly created: string[];
  readonly counts: Record<string, number>;
}

/**
 * Bound on one answer. Generous: a create costs a scrypt hash (N=2^17: 0.4 s of a core on
 * an idle 2-core machine, 1.2 s when other work shares it), so the write rates below stay
 * under the machine's hashing capacity, and a queue that builds anyway is still answered.
 */
const answerBoundMs = 30_000;

/**
 * PUTs distinct users at `perSecond`, open loop (a slow answer does not slow the sending),
 * until `stop()`, which waits for every request to be answered or to time out (30 s).
 */
export function writeLoad(
  baseUrl: string,
  options: { perSecond: number; prefix: string; fullnameChars?: number },
) {
  return steadyLoad(baseUrl, options.perSecond, (n) => {
    const username = `${options.prefix}${n}`;
    return {
      username,
      method: 'PUT',
      path: `/user/${username}`,
      body: JSON.stringify({
        fullname: `Fault ${username} ${incompressible(options.fullnameChars ?? 0)}`,
        password: 'faultrules',
      }),
    };
  });
}

/** `chars` random letters and digits: a row Postgres cannot compress much. */
function incompressible(chars: number): string {
  return randomBytes(chars).toString('base64').replace(/[+/=]/g, 'x').slice(0, chars);
}

/** `GET /user/health` at `perSecond`, open loop: who answers, and when. */
export function healthLoad(baseUrl: string, perSecond: number) {
  return steadyLoad(baseUrl, perSecond, () => ({
    username: '',
    method: 'GET',
    path: '/user/health',
  }));
}

/** `GET /user/<name>` of the given users in turn, at `perSecond`, open loop. */
export function readLoad(baseUrl: string, perSecond: number, usernames: readonly string[]) {
  return steadyLoad(baseUrl, perSecond, (n) => {
    const username = usernames[n % usernames.length]!;
    return { username, method: 'GET', path: `/user/${username}` };
  });
}

export interface SteadyLoad {
  readonly answers: Answered[];
  readonly startedAt: number;
  stop(): Promise<LoadReport>;
}

function steadyLoad(
  baseUrl: string,
  perSecond: number,
  next: (n: number) => { username: string; method: 'GET' | 'PUT'; path: string; body?: string },
): SteadyLoad {
  const agent = new Agent({ connections: 64, keepAliveTimeout: 1000 });
  const startedAt = Date.now();
  const answers: Answered[] = [];
  const pending = new Set<Promise<void>>();
  let n = 0;
  const send = () => {
    const { username, method, path, body } = next(n++);
    const sentAt = Date.now() - startedAt;
    const answer = (status: number, detail: string, retryAfter: string | undefined) =>
      answers.push({
        sentAt,
        answeredAt: Date.now() - startedAt,
        status,
        username,
        detail,
        retryAfter,
      });
    const task = request(`${baseUrl}${path}`, {
      method,
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined && { body }),
      headersTimeout: answerBoundMs,
      bodyTimeout: answerBoundMs,
    })
      .then(async (res) => {
        const text = await res.body.text();
        const retryAfter = res.headers['retry-after'];
        answer(res.statusCode, text, typeof retryAfter === 'string' ? retryAfter : undefined);
      })
      .catch((err: { code?: string; message?: string }) => {
        answer(0, err.code ?? err.message ?? String(err), undefined);
      });
    pending.add(task);
    void task.finally(() => pending.delete(task));
  };
  const timer = setInterval(send, 1000 / perSecond);
  return {
    answers,
    startedAt,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      await agent.close();
      const created = answers.filter((a) => a.status === 201).map((a) => a.username);
      return { startedAt, answers, created, counts: countByClass(answers) };
    },
  };
}

/** `201`, `503+retry-after`, `no answer (ECONNRESET)`, ...: how many answers of each kind. */
export function countByClass(answers: readonly Answered[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key =
      a.status === 0
        ? `no answer (${a.detail})`
        : a.retryAfter !== undefined
          ? `${a.status}+retry-after`
          : String(a.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Answers outside what a user may see during a database outage: 201, or 503/429 with Retry-After. */
export function unexpectedAnswers(answers: readonly Answered[]): Answered[] {
  return answers.filter(
    (a) =>
      !(
        a.status === 201 ||
        ((a.status === 503 || a.status === 429) && a.retryAfter !== undefined && isJson(a.detail))
      ),
  );
}

export function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The usernames among `usernames` that `GET /user/<name>` does not find (200), 8 at a time. */
export async function missingUsers(
  baseUrl: string,
  usernames: readonly string[],
): Promise<string[]> {
  const missing: string[] = [];
  const queue = [...usernames];
  const agent = new Agent({ connections: 8 });
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        const res = await request(`${baseUrl}/user/${name}`, {
          dispatcher: agent,
          headersTimeout: 10_000,
        });
        await res.body.dump();
        if (res.statusCode !== 200) missing.push(`${name} (${res.statusCode})`);
      }
    }),
  );
  await agent.close();
  return missing;
}

/** Polls `GET /user/health` until it says the database is up; ms it took. Throws past `boundMs`. */
export async function waitDatabaseUp(baseUrl: string, boundMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < boundMs) {
    try {
      const res = await request(`${baseUrl}/user/health`, { headersTimeout: 2000 });
      const body = (await res.body.json()) as { database?: string };
      if (res.statusCode === 200 && body.database === 'up') return Date.now() - started;
    } catch {
      // Not answering yet.
    }
    await sleep(100);
  }
  throw new Error(`the service did not report its database up within ${boundMs} ms`);
}

/** Runs `cmd` in a running container (as root); its output, and throws on a non-zero exit. */
export async function execIn(containerId: string, cmd: string[], user = 'root'): Promise<string> {
  const { docker } = await testEngine();
  const exec = await docker.getContainer(containerId).exec({
    Cmd: cmd,
    User: user,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  const out = new (await import('node:stream')).PassThrough();
  docker.modem.demuxStream(stream, out, out);
  out.on('data', (c: Buffer) => chunks.push(c));
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const { ExitCode } = await exec.inspect();
  const text = Buffer.concat(chunks).toString();
  if (ExitCode !== 0) throw new Error(`${cmd.join(' ')} exited ${ExitCode}: ${text}`);
  return text;
}
