/**
 * Runs the service as cluster workers and swaps code without dropping a request: a reload
 * starts the new generation beside the serving one (in standby workers started ahead, when
 * there are: standby.ts), switches once its first worker said it is ready (listening), then
 * drains the old; the other new workers take connections as they become ready. A new
 * generation whose first outcome is a worker that exits or is not ready in time is killed
 * before it ever served, and the old keeps serving.
 */
import cluster, { type Worker } from 'node:cluster';
import { copyFile, readFile, rename, unlink } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { type ControlAnswer, codeVersion } from './contract.js';
import { Generation } from './generation.js';
import { describeError, log } from './log.js';
import {
  containerIdentity,
  fileSystemOf,
  pruneReleases,
  readCurrent,
  readMounts,
  releasesDir,
  removeCurrent,
  writeCurrent,
} from './releases.js';
import { StandbyPool } from './standby.js';

export interface SupervisorOptions {
  /** Code to run, and where a successful reload installs the new code. @default '/app/service.js' */
  readonly serviceFile: string;
  /** Workers per generation. @default 1 (env SERVICE_WORKERS; the user-service image sets 2) */
  readonly workers: number;
  /** Bound on a new generation becoming ready. @default 10000 (env READY_TIMEOUT_MS) */
  readonly readyTimeoutMs: number;
  /** Bound on a worker's drain before it is killed. @default 9500 */
  readonly drainBoundMs: number;
  /**
   * The supervisor's own file, forked as standby workers (standby.ts) that a reload hands the
   * new code to; undefined for none. @default process.argv[1] (env SUPERVISOR_STANDBY=0: none)
   */
  readonly standbyFile?: string;
}

/**
 * How long after a switch (or the first start) the next standbys start: their start-up then
 * does not compete with the new code's first requests and the caller's check of them.
 */
const standbyDelayMs = 300;

export async function fileVersion(file: string): Promise<string> {
  return codeVersion(await readFile(file));
}

export class Supervisor {
  private current: Generation | undefined;
  private readonly retired = new Set<Generation>();
  private reloading = false;
  private stopping = false;
  private restartDelayMs = 100;
  private readonly standby: StandbyPool | undefined;
  private standbyTimer: NodeJS.Timeout | undefined;
  /** The version of SERVICE_FILE when the supervisor started: the image's code. */
  private imageVersion = '';
  private readonly mounts = readMounts();

  constructor(private readonly options: SupervisorOptions) {
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    this.standby =
      options.standbyFile === undefined
        ? undefined
        : new StandbyPool(options.standbyFile, options.workers);
  }

  /**
   * Starts the first generation: the hot patch a reload recorded for restarts, when there
   * is one for this code and container (releases.ts), else SERVICE_FILE. Throws with the
   * code's output if SERVICE_FILE does not come up.
   */
  async start(): Promise<void> {
    const file = resolve(this.options.serviceFile);
    this.imageVersion = await fileVersion(file);
    const patched = await this.recordedPatch();
    if (patched !== undefined) {
      const failure = await patched.start(this.options.workers, this.options.readyTimeoutMs);
      if (failure === undefined) {
        this.serving(patched, { patchedOnto: this.imageVersion });
        return;
      }
      // Forgotten, so that the next restart does not wait for it again.
      await removeCurrent(this.releases());
      log('warn', 'the hot patch kept for restarts did not start, serving the image code', {
        version: patched.version,
        error: failure.error,
      });
    }
    const generation = new Generation(file, this.imageVersion);
    const failure = await generation.start(this.options.workers, this.options.readyTimeoutMs);
    if (failure) throw Object.assign(new Error(failure.error), { output: failure.output });
    this.serving(generation, {});
  }

  private serving(generation: Generation, fields: object): void {
    this.current = generation;
    log('info', 'serving', {
      version: generation.version,
      workers: this.options.workers,
      ...fields,
    });
    this.refillStandby();
    void pruneReleases(this.releases(), [basename(generation.file)]);
  }

  private releases(): string {
    return releasesDir(resolve(this.options.serviceFile));
  }

  /** The recorded hot patch a (re)start runs, as a generation not yet started; see releases.ts. */
  private async recordedPatch(): Promise<Generation | undefined> {
    const dir = this.releases();
    const recorded = await readCurrent(dir);
    if (recorded === undefined) return undefined;
    const file = resolve(dir, recorded.file);
    const sameCode = recorded.base === this.imageVersion;
    const sameContainer = recorded.container === containerIdentity(this.mounts);
    const version = await fileVersion(file).catch(() => undefined);
    if (!sameCode || !sameContainer || version !== recorded.version) {
      log('info', 'not running the hot patch recorded for another image or container', {
        version: recorded.version,
        patchedOnto: recorded.base,
        imageVersion: this.imageVersion,
      });
      await removeCurrent(dir);
      return undefined;
    }
    return new Generation(file, recorded.version);
  }

  /** Starts the standbys the next reload takes, a moment from now. */
  private refillStandby(): void {
    if (this.standby === undefined) return;
    clearTimeout(this.standbyTimer);
    this.standbyTimer = setTimeout(() => {
      if (!this.stopping) this.standby?.fill();
    }, standbyDelayMs);
  }

  async reload(requested: string): Promise<ControlAnswer> {
    if (this.stopping) return { ok: false, error: 'the supervisor is stopping', output: '' };
    if (this.reloading) return { ok: false, error: 'a reload is already in progress', output: '' };
    this.reloading = true;
    try {
      return await this.swap(resolve(requested));
    } finally {
      this.reloading = false;
    }
  }

  private async swap(file: string): Promise<ControlAnswer> {
    const startedAt = Date.now();
    const previous = this.current!;
    let version: string;
    try {
      version = await fileVersion(file);
    } catch (err) {
      return { ok: false, error: `cannot read ${file}: ${describeError(err).error}`, output: '' };
    }
    if (version === previous.version) {
      return { ok: true, version, previousVersion: version, durationMs: 0, unchanged: true };
    }
    // The new code waits for its database pool before it listens, so that the switch does
    // not turn requests the old code answers into 503s while the new one connects.
    const next = new Generation(file, version, { WAIT_DB_BEFORE_LISTEN_MS: '5000' });
    const standby = this.standby?.take(this.options.workers) ?? [];
    // The switch happens once the first new worker is ready: the old workers drain while
    // it takes the connections, and the other new workers join as they become ready.
    const failure = await next.start(
      this.options.workers,
      this.options.readyTimeoutMs,
      standby,
      'first',
    );
    this.refillStandby();
    if (failure) {
      log('warn', 'reload failed, old code keeps serving', { version, error: failure.error });
      return { ok: false, error: failure.error, output: failure.output, version };
    }
    this.current = next;
    this.retire(previous);
    const durationMs = Date.now() - startedAt;
    const installed = await this.install(next);
    log('info', 'reloaded', { version, previousVersion: previous.version, durationMs });
    return { ok: true, version, previousVersion: previous.version, durationMs, ...installed };
  }

  /**
   * Makes the serving code the one a restart of this container runs (releases.ts): copied
   * onto SERVICE_FILE where it can be written, else recorded in the releases folder. The
   * answer says `persisted: false`, with a warning, when a restart would run other code.
   */
  private async install(generation: Generation): Promise<Record<string, unknown>> {
    const target = resolve(this.options.serviceFile);
    if (generation.file === target) return { persisted: true };
    const temporary = `${target}.tmp-${process.pid}`;
    try {
      await copyFile(generation.file, temporary);
      await rename(temporary, target);
      generation.file = target;
      return { persisted: true };
    } catch {
      // A read-only root filesystem (EROFS): the releases folder keeps it instead.
      await unlink(temporary).catch(() => undefined);
    }
    const dir = this.releases();
    try {
      await writeCurrent(dir, {
        version: generation.version,
        file: basename(generation.file),
        base: this.imageVersion,
        container: containerIdentity(this.mounts),
      });
      await pruneReleases(dir, [basename(generation.file)]);
    } catch (err) {
      return notPersisted(`recording it in ${dir} failed: ${describeError(err).error}`);
    }
    if (fileSystemOf(this.mounts, dir) === 'tmpfs') {
      return notPersisted(`${dir} is a tmpfs and ${target} cannot be written`);
    }
    return { persisted: true };
  }

  private retire(generation: Generation): void {
    this.retired.add(generation);
    void generation.drain(this.options.drainBoundMs).then(() => this.retired.delete(generation));
  }

  status(): ControlAnswer {
    const generations = [...this.retired, ...(this.current ? [this.current] : [])];
    const standby = this.standby?.pids() ?? [];
    const workers = generations.flatMap((generation) =>
      [...generation.workers].map((worker) => ({
        pid: worker.process.pid,
        version: generation.version,
        state: generation.state,
      })),
    );
    return {
      ok: true,
      version: this.current?.version ?? null,
      imageVersion: this.imageVersion,
      pid: process.pid,
      workers,
      standby,
    };
  }

  /** Drains every worker (bounded) and resolves when all exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.standbyTimer);
    this.standby?.stop();
    const all = [...this.retired, ...(this.current ? [this.current] : [])];
    await Promise.all(all.map((generation) => generation.drain(this.options.drainBoundMs)));
  }

  /** A serving worker that died is replaced with the same code, with capped backoff. */
  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    if (this.standby?.forget(worker)) return;
    const generation = this.current;
    const wasServing = generation?.workers.has(worker) === true && generation.state === 'serving';
    for (const owner of [generation, ...this.retired]) owner?.workers.delete(worker);
    if (this.stopping || !wasServing || generation === undefined) return;
    log('warn', 'worker died, restarting it', { pid: worker.process.pid, code, signal });
    const delayMs = this.restartDelayMs;
    this.restartDelayMs = Math.min(delayMs * 2, 5000);
    setTimeout(() => {
      if (this.current !== generation || this.stopping) return;
      // Like a reload's new code, the replacement takes connections only once its database
      // pool is up (bounded): the other workers answer meanwhile, rather than it 503s.
      const replacement = generation.fork({ WAIT_DB_BEFORE_LISTEN_MS: '5000' });
      replacement.once('listening', () => {
        this.restartDelayMs = 100;
      });
    }, delayMs);
  }
}

/** A reload's answer when a restart of the container would not run the new code. */
function notPersisted(reason: string): Record<string, unknown> {
  const warning = `the new code runs until the container restarts, which runs the image's code again: ${reason}`;
  log('warn', 'the new code is not kept for restarts', { reason });
  return { persisted: false, warning };
}
