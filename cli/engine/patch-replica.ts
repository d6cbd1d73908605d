import type Docker from 'dockerode';
import {
  type ControlAnswer,
  parseControlAnswer,
  releaseFile,
  reloadClientInput,
  reloadClientScript,
  reloadTimeoutMs,
} from '../../service/supervisor/contract.js';
import { reloadClientCommand } from '../../service/supervisor/reload-client.js';
import type { ResolvedHotpatch } from '../../stacks/model/model.js';
import { EstepsError } from '../errors.js';
import { httpRequest } from '../http.js';
import { type ExecResult, type RunningExec, startExec } from './exec.js';
import { retryUntil } from './retry.js';
import type { RunningReplica } from './running-service.js';
import { type ContainerFileWriter, startFileWriter } from './write-in-container.js';

/** How long a patched replica may take to name the new version in its probe answer. */
const verifyTimeoutMs = 15_000;

export interface PatchedReplica {
  readonly container: string;
  readonly previousVersion: string | undefined;
  readonly version: string;
  /** From the copy starting to the probe answer naming the new version. */
  readonly durationMs: number;
  /** True when the container already ran this version: nothing was copied. */
  readonly unchanged: boolean;
  /** Set when a restart of the container would not run the new code: why. */
  readonly warning?: string;
  /**
   * Where the time went, in ms: copy, reload (as the CLI saw it), of which the supervisor's
   * own switch, verify. Where the reload client writes the code itself (PatchSpec), copy is
   * its write in the container as the Node client times it, or sending the code to the
   * engine where the client cannot time its write (perl: the write then counts in reload),
   * and reload includes waiting for the client to have started.
   */
  readonly phases?: {
    readonly copyMs: number;
    readonly reloadMs: number;
    readonly supervisorMs: number | undefined;
    readonly verifyMs: number;
  };
}

/** A replica made ready to patch: its reload client is starting, its version is known. */
export interface PreparedPatch {
  /** Copies `code` (whose version is `version`) in, reloads, and verifies it serves. */
  apply(code: Buffer, version: string, signal?: AbortSignal): Promise<PatchedReplica>;
  /** Abandons the patch (the waiting reload client exits); safe to call after apply. */
  cancel(): void;
}

/** A service's hot-patch settings, and how its patches are taken in. */
export interface PatchSpec extends ResolvedHotpatch {
  /**
   * The container runs as the release's owner: the reload client itself writes the code (one
   * process in the container per patch, not two).
   */
  readonly clientWrites: boolean;
}

/**
 * The processes a patch runs in a container, started before the code is ready: the reload
 * client (service/supervisor/contract.ts) and, unless the client writes the code itself,
 * the file writer, each waiting on stdin.
 */
export interface PatchProcesses {
  readonly reload: RunningExec;
  readonly writer: ContainerFileWriter | undefined;
  /** When they were started (performance.now()): they give up after reloadTimeoutMs. */
  readonly startedAt: number;
  /** True once either process ended (it can no longer serve a patch). */
  ended(): boolean;
}

export async function startPatchProcesses(
  container: Docker.Container,
  hotpatch: PatchSpec,
): Promise<PatchProcesses> {
  const startedAt = performance.now();
  // The code is written by a process in the container, as its owner: releases/ may be a
  // tmpfs of a read-only root filesystem, which the engine's archive API cannot reach.
  const [reload, writer] = await Promise.all([
    startReloadClient(container, hotpatch, reloadClientCommand()),
    hotpatch.clientWrites ? undefined : startFileWriter(container, hotpatch.owner, reloadTimeoutMs),
  ]);
  let ended = false;
  for (const result of [reload.result, writer?.result ?? new Promise(() => undefined)]) {
    void result.then(
      () => (ended = true),
      () => (ended = true),
    );
  }
  return { reload, writer, startedAt, ended: () => ended };
}

/**
 * The reload client (service/supervisor/reload-client.ts: no Node start where the image has
 * perl), or `command`, as the release's owner where it writes the code itself.
 */
function startReloadClient(
  container: Docker.Container,
  hotpatch: PatchSpec,
  command: readonly string[],
): Promise<RunningExec> {
  const owner = `${hotpatch.owner.uid}:${hotpatch.owner.gid}`;
  return startExec(container, command, {
    timeoutMs: reloadTimeoutMs,
    failure: 'HOTPATCH_FAILED',
    ...(hotpatch.clientWrites && { user: owner }),
  });
}

/**
 * Refuses containers esteps did not create, then starts the patch's processes in the
 * container (or takes those started ahead, `processes`), ready by the time the new code is
 * bundled. The running version is read through the probe meanwhile, but not waited for: a
 * patch of code the replica already runs is seen by the probe when it answered in time, else
 * by the supervisor, which then reloads nothing.
 */
export async function preparePatch(
  docker: Docker,
  replica: RunningReplica,
  hotpatch: PatchSpec,
  processes?: Promise<PatchProcesses>,
): Promise<PreparedPatch> {
  const { name, id, configHash } = replica.container;
  if (configHash === undefined) {
    throw new EstepsError('HOTPATCH_FAILED', `Container ${name} was not created by esteps up.`, {
      hint: 'Hot patches go only into containers esteps manages; run esteps up first.',
    });
  }
  const container = docker.getContainer(id);
  let probed: { version: string | undefined } | undefined;
  if (replica.baseUrl) {
    void probeVersion(replica.baseUrl, hotpatch).then((version) => {
      probed = { version };
    });
  }
  const { reload, writer } = await (processes ?? startPatchProcesses(container, hotpatch));
  const target: Target = {
    container,
    name,
    baseUrl: replica.baseUrl,
    hotpatch,
    reload,
    writer,
    running: () => probed?.version,
  };
  return {
    apply: (code, version, signal) => applyPatch(target, code, version, signal),
    cancel: () => {
      reload.cancel();
      writer?.cancel();
    },
  };
}

interface Target {
  readonly container: Docker.Container;
  readonly name: string;
  readonly baseUrl: string | undefined;
  readonly hotpatch: PatchSpec;
  readonly reload: RunningExec;
  readonly writer: ContainerFileWriter | undefined;
  /** The version the probe found running, once it answered. */
  readonly running: () => string | undefined;
}

async function applyPatch(
  target: Target,
  code: Buffer,
  version: string,
  signal?: AbortSignal,
): Promise<PatchedReplica> {
  const { name, baseUrl, hotpatch, reload, writer } = target;
  const running = target.running();
  if (running === version) {
    reload.cancel();
    writer?.cancel();
    return unchangedReplica(name, version);
  }
  const started = performance.now();
  const file = releaseFile(hotpatch.path, version);
  if (writer) {
    try {
      await writer.write(file, code);
    } catch (err) {
      reload.cancel();
      throw err;
    } finally {
      writer.cancel();
    }
  }
  const input = reloadClientInput(file, writer ? undefined : code);
  const sent = reload.write(input).then(() => performance.now());
  let copied = performance.now();
  // The answer line is all we need; the process exiting and the engine saying so come later.
  const { answer, client } = await reloadAnswer(target, reload, input);
  const reloaded = performance.now();
  if (answer?.writeFailed) throw writeFailed(name, file, hotpatch, answer.error);
  if (!answer?.ok) throw reloadFailure(name, answer, await client.result);
  if (answer.unchanged) return unchangedReplica(name, version);
  // The client wrote the code: the copy is the sending plus its own write (the Node client
  // times its write; the perl one cannot, and its write counts in the reload).
  if (!writer) {
    copied =
      answer.writeMs === undefined
        ? Math.min(reloaded, await sent)
        : Math.min(reloaded, started + Number(answer.writeMs));
  }
  if (baseUrl) await waitForVersion(baseUrl, hotpatch, version, name, signal);
  const done = performance.now();
  return {
    container: name,
    previousVersion: answer.previousVersion ?? target.running(),
    version,
    durationMs: Math.round(done - started),
    unchanged: false,
    ...(typeof answer.warning === 'string' && { warning: answer.warning }),
    phases: {
      copyMs: Math.round(copied - started),
      reloadMs: Math.round(reloaded - copied),
      supervisorMs: answer.durationMs,
      verifyMs: Math.round(done - reloaded),
    },
  };
}

/**
 * The reload client's answer line. An image without `sh` cannot run the client that needs no
 * Node start (the engine answers that exec with `exec: "sh": executable file not found`):
 * the Node client is then started and given the same input.
 */
async function reloadAnswer(
  target: Target,
  reload: RunningExec,
  input: Buffer,
): Promise<{ answer: ControlAnswer | undefined; client: RunningExec }> {
  const answer = parseControlAnswer((await reload.firstLine) ?? '');
  if (answer !== undefined || !shellMissing(await reload.result.catch(() => undefined))) {
    return { answer, client: reload };
  }
  const node = await startReloadClient(target.container, target.hotpatch, [
    'node',
    '-e',
    reloadClientScript(),
  ]);
  void node.write(input);
  return { answer: parseControlAnswer((await node.firstLine) ?? ''), client: node };
}

/** True when the exec failed because the image has no `sh` (the engine's own words). */
export function shellMissing(result: ExecResult | undefined): boolean {
  return (
    result !== undefined &&
    (result.exitCode === 126 || result.exitCode === 127) &&
    /exec: "sh": executable file not found/.test(`${result.stdout}${result.stderr}`)
  );
}

function unchangedReplica(name: string, version: string): PatchedReplica {
  return { container: name, previousVersion: version, version, durationMs: 0, unchanged: true };
}

function writeFailed(
  name: string,
  file: string,
  hotpatch: PatchSpec,
  error: string | undefined,
): EstepsError {
  const { uid, gid } = hotpatch.owner;
  return new EstepsError('HOTPATCH_FAILED', `Writing ${file} in ${name} failed: ${error}.`, {
    hint: `Check that ${file}'s folder exists and is writable by ${uid}:${gid} (on a read-only root filesystem, a volume or a tmpfs).`,
  });
}

/** The new code did not start: the supervisor's reason and the new code's output. */
function reloadFailure(
  name: string,
  answer: ControlAnswer | undefined,
  result: ExecResult,
): EstepsError {
  const final = answer ?? parseControlAnswer(result.stdout);
  return new EstepsError(
    'HOTPATCH_FAILED',
    `The new code did not start in ${name}: ${final?.error ?? `reload exited ${result.exitCode}`}; the old code still serves.`,
    {
      hint: 'Fix the error shown above, then run esteps hotpatch again.',
      details: {
        container: name,
        output: final?.output || `${result.stdout}${result.stderr}`.trim(),
      },
    },
  );
}

/** The code version a replica's probe answer names, or undefined. */
async function probeVersion(
  baseUrl: string,
  hotpatch: ResolvedHotpatch,
  timeoutMs = 2000,
): Promise<string | undefined> {
  try {
    const res = await httpRequest(`${baseUrl}${hotpatch.probe.path}`, {
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const body = (await res.body.json()) as Record<string, unknown>;
    const version = body?.[hotpatch.versionField];
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

async function waitForVersion(
  baseUrl: string,
  hotpatch: ResolvedHotpatch,
  version: string,
  name: string,
  signal?: AbortSignal,
): Promise<void> {
  const result = await retryUntil(
    async () => {
      // Bounded tighter than the first probe: a probe that gets no answer is tried again
      // rather than waited for (a connection made as the workers switch can be lost:
      // bench/README.md, "Hot patch").
      const seen = await probeVersion(baseUrl, hotpatch, 1000);
      return seen === version
        ? { done: true, value: seen }
        : { done: false, reason: `the probe reports version ${seen ?? '(no answer)'}` };
    },
    { timeoutMs: verifyTimeoutMs, intervalMs: 10, signal },
  );
  if (!result.ok) {
    throw new EstepsError(
      'HOTPATCH_FAILED',
      `${name} reloaded, but ${baseUrl}${hotpatch.probe.path} does not report version ${version} in "${hotpatch.versionField}" (${result.lastReason}).`,
      {
        hint: `The service's probe must name the version the supervisor gives it (SERVICE_VERSION); esteps logs shows ${name}'s output.`,
      },
    );
  }
}
