import type Docker from 'dockerode';
import { EstepsError } from '../errors.js';
import { httpRequest } from '../http.js';
import { copyIntoContainer } from './copy.js';
import { type ExecResult, type RunningExec, startExec } from './exec.js';
import { retryUntil } from './retry.js';
import type { RunningReplica } from './running-service.js';

/**
 * The in-image contract (templates/usersvc, service/supervisor.ts): new code goes to
 * /app/releases/service-<version>.js, owned by the image's user; `supervisor.js reload FILE`
 * starts it beside the old code, switches once it is ready, drains the old, and prints one
 * JSON line. The health answer names the code version it runs.
 */
const releasesDir = '/app/releases';
const supervisorFile = '/app/supervisor.js';
const appUid = 10001;
const reloadTimeoutMs = 60_000;
const verifyTimeoutMs = 15_000;

/**
 * Starting `node` in a container costs a docker exec plus Node's start-up, often more than
 * bundling and copying together. So the exec starts first, with this script: it waits for
 * the release's path on stdin, then runs `supervisor.js reload <path>` in the same process
 * (the contract's command, without a second start-up). Stdin closing first means the patch
 * was abandoned: it exits without asking for anything.
 */
export const reloadWhenToldScript = [
  "let b='';process.stdin.setEncoding('utf8');",
  "process.stdin.on('end',()=>process.exit(2));",
  "process.stdin.on('data',(c)=>{b+=c;const i=b.indexOf('\\n');if(i<0)return;",
  'process.stdin.removeAllListeners();process.stdin.pause();',
  `process.argv=[process.argv[0],'${supervisorFile}','reload',b.slice(0,i)];`,
  `require('${supervisorFile}');});`,
].join('');

export interface PatchedReplica {
  readonly container: string;
  readonly previousVersion: string | undefined;
  readonly version: string;
  /** From the copy starting to the health answer naming the new version. */
  readonly durationMs: number;
  /** True when the container already ran this version: nothing was copied. */
  readonly unchanged: boolean;
  /** Where the time went, in ms: copy, reload (as the CLI saw it), of which the supervisor's own switch, verify. */
  readonly phases?: {
    readonly copyMs: number;
    readonly reloadMs: number;
    readonly supervisorMs: number | undefined;
    readonly verifyMs: number;
  };
}

export interface ReloadAnswer {
  ok: boolean;
  version?: string;
  previousVersion?: string;
  durationMs?: number;
  error?: string;
  output?: string;
}

/** A replica made ready to patch: its reload process is starting, its version is known. */
export interface PreparedPatch {
  /** Copies `code` (whose version is `version`) in, reloads, and verifies it serves. */
  apply(code: Buffer, version: string, signal?: AbortSignal): Promise<PatchedReplica>;
  /** Abandons the patch (the waiting reload process exits); safe to call after apply. */
  cancel(): void;
}

/**
 * Refuses containers esteps did not create, then starts the reload process and reads the
 * running version, so that both are ready by the time the bundle is.
 */
export async function preparePatch(
  docker: Docker,
  replica: RunningReplica,
): Promise<PreparedPatch> {
  const { name, id, configHash } = replica.container;
  if (configHash === undefined) {
    throw new EstepsError('HOTPATCH_FAILED', `Container ${name} was not created by esteps up.`, {
      hint: 'Hot patches go only into containers esteps manages; run esteps up first.',
    });
  }
  const container = docker.getContainer(id);
  const [reload, running] = await Promise.all([
    startExec(container, ['node', '-e', reloadWhenToldScript], { timeoutMs: reloadTimeoutMs }),
    replica.baseUrl ? healthVersion(replica.baseUrl) : Promise.resolve(undefined),
  ]);
  return {
    apply: (code, version, signal) =>
      applyPatch(
        { container, name, baseUrl: replica.baseUrl, reload, running },
        code,
        version,
        signal,
      ),
    cancel: () => reload.cancel(),
  };
}

interface Target {
  readonly container: Docker.Container;
  readonly name: string;
  readonly baseUrl: string | undefined;
  readonly reload: RunningExec;
  readonly running: string | undefined;
}

async function applyPatch(
  target: Target,
  code: Buffer,
  version: string,
  signal?: AbortSignal,
): Promise<PatchedReplica> {
  const { container, name, baseUrl, reload, running } = target;
  if (running === version) {
    reload.cancel();
    return { container: name, previousVersion: running, version, durationMs: 0, unchanged: true };
  }
  const started = performance.now();
  const file = `service-${version}.js`;
  try {
    await copyIntoContainer(container, releasesDir, [
      { path: file, data: code, mode: 0o644, uid: appUid, gid: appUid },
    ]);
  } catch (err) {
    reload.cancel();
    throw err;
  }
  const copied = performance.now();
  reload.write(`${releasesDir}/${file}\n`);
  // The answer line is all we need; the process exiting and the engine saying so come later.
  const answer = parseReloadAnswer((await reload.firstLine) ?? '');
  const reloaded = performance.now();
  if (!answer?.ok) throw reloadFailure(name, await reload.result);
  if (baseUrl) await waitForVersion(baseUrl, version, name, signal);
  const done = performance.now();
  return {
    container: name,
    previousVersion: answer.previousVersion ?? running,
    version,
    durationMs: Math.round(done - started),
    unchanged: false,
    phases: {
      copyMs: Math.round(copied - started),
      reloadMs: Math.round(reloaded - copied),
      supervisorMs: answer.durationMs,
      verifyMs: Math.round(done - reloaded),
    },
  };
}

/** The new code did not start: the supervisor's reason and the new code's output. */
function reloadFailure(name: string, result: ExecResult): EstepsError {
  const answer = parseReloadAnswer(result.stdout);
  return new EstepsError(
    'HOTPATCH_FAILED',
    `The new code did not start in ${name}: ${answer?.error ?? `reload exited ${result.exitCode}`}; the old code still serves.`,
    {
      hint: 'Fix the error shown above in service/, then run esteps hotpatch again.',
      details: {
        container: name,
        output: answer?.output || `${result.stdout}${result.stderr}`.trim(),
      },
    },
  );
}

/** The supervisor prints exactly one JSON line; anything else is reported as output. */
export function parseReloadAnswer(stdout: string): ReloadAnswer | undefined {
  const line = stdout.trim().split('\n').pop();
  if (!line) return undefined;
  try {
    const parsed = JSON.parse(line) as ReloadAnswer;
    return parsed !== null && typeof parsed.ok === 'boolean' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

async function healthVersion(baseUrl: string): Promise<string | undefined> {
  try {
    const res = await httpRequest(`${baseUrl}/user/health`, {
      headersTimeout: 2000,
      bodyTimeout: 2000,
    });
    const body = (await res.body.json()) as { version?: unknown };
    return typeof body.version === 'string' ? body.version : undefined;
  } catch {
    return undefined;
  }
}

async function waitForVersion(
  baseUrl: string,
  version: string,
  name: string,
  signal?: AbortSignal,
): Promise<void> {
  const result = await retryUntil(
    async () => {
      const seen = await healthVersion(baseUrl);
      return seen === version
        ? { done: true, value: seen }
        : { done: false, reason: `health reports version ${seen ?? '(no answer)'}` };
    },
    { timeoutMs: verifyTimeoutMs, intervalMs: 50, signal },
  );
  if (!result.ok) {
    throw new EstepsError(
      'HOTPATCH_FAILED',
      `${name} reloaded, but ${baseUrl}/user/health does not report version ${version} (${result.lastReason}).`,
      { hint: `Look at the container's logs: esteps logs ${name}.` },
    );
  }
}
