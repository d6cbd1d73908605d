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
import { resolve } from 'node:path';
import { type ControlAnswer, codeVersion } from './contract.js';
import { Generation } from './generation.js';
import { describeError, log } from './log.js';
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

  constructor(private readonly options: SupervisorOptions) {
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    this.standby =
      options.standbyFile === undefined
        ? undefined
        : new StandbyPool(options.standbyFile, options.workers);
  }

  /** Starts the first generation; throws with the code's output if it does not come up. */
  async start(): Promise<void> {
    const file = resolve(this.options.serviceFile);
    const generation = new Generation(file, await fileVersion(file));
    const failure = await generation.start(this.options.workers, this.options.readyTimeoutMs);
    if (failure) throw Object.assign(new Error(failure.error), { output: failure.output });
    this.current = generation;
    log('info', 'serving', { version: generation.version, workers: this.options.workers });
    this.refillStandby();
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

  /** Makes the serving code the one future container starts run: copy, then atomic rename. */
  private async install(generation: Generation): Promise<Record<string, unknown>> {
    const target = resolve(this.options.serviceFile);
    if (generation.file === target) return {};
    const temporary = `${target}.tmp-${process.pid}`;
    try {
      await copyFile(generation.file, temporary);
      await rename(temporary, target);
      generation.file = target;
      return {};
    } catch (err) {
      await unlink(temporary).catch(() => undefined);
      log('warn', 'could not install the new code for restarts', describeError(err));
      return {
        installed: false,
        warning: `not installed as ${target}: ${describeError(err).error}`,
      };
    }
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
    return { ok: true, version: this.current?.version ?? null, pid: process.pid, workers, standby };
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
