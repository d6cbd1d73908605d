import type Docker from 'dockerode';
import { request } from 'undici';
import { EstepsError } from '../errors.js';
import { copyIntoContainer } from './copy.js';
import { execInContainer } from './exec.js';
import { retryUntil } from './retry.js';
import type { RunningReplica } from './running-service.js';

/**
 * The in-image contract (templates/usersvc, service/supervisor.ts): new code goes to
 * /app/releases/service-<version>.js, owned by the image's user; `supervisor.js reload FILE`
 * starts it beside the old code, switches once it is ready, drains the old, and prints one
 * JSON line. The health answer names the code version it runs.
 */
const releasesDir = '/app/releases';
const appUid = 10001;
const reloadTimeoutMs = 60_000;
const verifyTimeoutMs = 15_000;

export interface PatchedReplica {
  readonly container: string;
  readonly previousVersion: string | undefined;
  readonly version: string;
  /** From the copy starting to the health answer naming the new version. */
  readonly durationMs: number;
  /** True when the container already ran this version: nothing was copied. */
  readonly unchanged: boolean;
}

interface ReloadAnswer {
  ok: boolean;
  version?: string;
  previousVersion?: string;
  error?: string;
  output?: string;
}

/** Patches one running replica with `code` (whose version is `version`) and verifies it serves. */
export async function patchReplica(
  docker: Docker,
  replica: RunningReplica,
  code: Buffer,
  version: string,
  signal?: AbortSignal,
): Promise<PatchedReplica> {
  const started = performance.now();
  const { name, id, configHash } = replica.container;
  if (configHash === undefined) {
    throw new EstepsError('HOTPATCH_FAILED', `Container ${name} was not created by esteps up.`, {
      hint: 'Hot patches go only into containers esteps manages; run esteps up first.',
    });
  }
  const running = replica.baseUrl ? await healthVersion(replica.baseUrl) : undefined;
  if (running === version) {
    return { container: name, previousVersion: running, version, durationMs: 0, unchanged: true };
  }
  const container = docker.getContainer(id);
  const file = `service-${version}.js`;
  await copyIntoContainer(container, releasesDir, [
    { path: file, data: code, mode: 0o644, uid: appUid, gid: appUid },
  ]);
  const result = await execInContainer(
    container,
    ['node', '/app/supervisor.js', 'reload', `${releasesDir}/${file}`],
    { timeoutMs: reloadTimeoutMs },
  );
  const answer = parseReloadAnswer(result.stdout);
  if (!answer?.ok) {
    throw new EstepsError(
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
  if (replica.baseUrl) await waitForVersion(replica.baseUrl, version, name, signal);
  return {
    container: name,
    previousVersion: answer.previousVersion ?? running,
    version,
    durationMs: Math.round(performance.now() - started),
    unchanged: false,
  };
}

/** The supervisor prints exactly one JSON line; anything else is reported as output. */
export function parseReloadAnswer(stdout: string): ReloadAnswer | undefined {
  const line = stdout.trim().split('\n').pop();
  if (!line) return undefined;
  try {
    const parsed = JSON.parse(line) as ReloadAnswer;
    return typeof parsed.ok === 'boolean' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

async function healthVersion(baseUrl: string): Promise<string | undefined> {
  try {
    const res = await request(`${baseUrl}/user/health`, {
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
