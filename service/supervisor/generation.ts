/**
 * A generation: the cluster workers running one version of the service code. Workers share
 * the listening socket through node:cluster (the primary hands each new connection to a
 * listening worker; requests then go straight to it), so starting a generation beside
 * another and draining the old one moves traffic with no proxy hop and no lost connection:
 * a worker that stops listening gets no new connections, and the cluster hands any it had
 * not yet taken to the others.
 */
import cluster, { type Worker } from 'node:cluster';
import { ipcMessages as messages, versionVariable } from './contract.js';
import { log } from './log.js';
import { loadStandby } from './standby.js';
import { routeOutput, setOutputTail } from './worker-output.js';

export type GenerationState = 'starting' | 'serving' | 'draining';

/** Keeps the last `maxBytes` of a worker's output, for reporting a failed start. */
export class OutputTail {
  private text = '';
  constructor(private readonly maxBytes = 4096) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.maxBytes);
  }
  toString(): string {
    return this.text;
  }
}

export interface StartFailure {
  readonly error: string;
  readonly output: string;
}

export class Generation {
  state: GenerationState = 'starting';
  readonly workers = new Set<Worker>();
  readonly output = new OutputTail();

  constructor(
    public file: string,
    readonly version: string,
    /** Extra environment for this generation's workers. */
    private readonly env: Record<string, string> = {},
  ) {}

  /**
   * Forks one worker running this generation's file, with `extraEnv` added to the
   * generation's; its output goes to ours and to the tail.
   */
  fork(extraEnv: Record<string, string> = {}): Worker {
    cluster.setupPrimary({ exec: this.file, args: [], silent: true });
    const worker = cluster.fork({ ...this.env, ...extraEnv, [versionVariable]: this.version });
    routeOutput(worker);
    this.adopt(worker);
    return worker;
  }

  /** The environment this generation's code runs with (beside the supervisor's own). */
  codeEnv(): Record<string, string> {
    return { ...this.env, [versionVariable]: this.version };
  }

  /** Makes `worker` (forked for us, or a standby about to load our code) one of ours. */
  adopt(worker: Worker): void {
    setOutputTail(worker, (chunk) => {
      if (this.state === 'starting') this.output.push(chunk);
    });
    worker.on('message', (message: unknown) => {
      const type = (message as { type?: unknown })?.type;
      if (type === messages.ready) speaksContract.add(worker);
      // IPC messages keep their order (node queues even plain ones behind a handle still
      // waiting for its acknowledgement): by the time the worker reads this, it has read
      // every connection handed to it before, and declined those that came after its close.
      else if (type === messages.drained) {
        sentDrained.add(worker);
        sendQuietly(worker, { type: messages.released });
      }
    });
    this.workers.add(worker);
  }

  /**
   * Starts `count` workers; resolves once all said ready (`readyWhen: 'all'`) or the first
   * did (`'first'`), or with the reason one did not. With `'first'`, the others join the
   * serving generation as they become ready (each takes connections once it listens); one
   * that then fails is killed, and the supervisor replaces it like any serving worker.
   */
  async start(
    count: number,
    readyTimeoutMs: number,
    /** Standby workers to run this generation's code in (standby.ts); the rest are forked. */
    standby: readonly Worker[] = [],
    readyWhen: 'all' | 'first' = 'all',
  ): Promise<StartFailure | undefined> {
    const loaded = standby.slice(0, count).map((worker) => {
      this.adopt(worker);
      loadStandby(worker, this.file, this.codeEnv());
      return worker;
    });
    const forked = Array.from({ length: count - loaded.length }, () => this.fork());
    const started = [...loaded, ...forked];
    const waits = started.map((worker) =>
      waitReady(worker, readyTimeoutMs).then((outcome) => ({ worker, outcome })),
    );
    const failed =
      readyWhen === 'first'
        ? (await Promise.race(waits)).outcome
        : (await Promise.all(waits)).find((w) => w.outcome !== undefined)?.outcome;
    if (failed === undefined) {
      this.state = 'serving';
      for (const wait of waits) {
        void wait.then(({ worker, outcome }) => {
          if (outcome !== undefined && this.workers.has(worker)) worker.process.kill('SIGKILL');
        });
      }
      return undefined;
    }
    await this.kill();
    return { error: failed, output: this.output.toString() };
  }

  /**
   * Asks every worker to drain (the contract's drain message). A worker that never said
   * `ready` may not know the message: it is disconnected too, which closes its listening
   * servers, so it stops taking connections and ends once its open ones close (a service
   * that handles the message drains more gently: cluster's disconnect also drops idle
   * keep-alive connections at once). Resolves when all exited, killing those past `boundMs`.
   */
  drain(boundMs: number): Promise<void> {
    this.state = 'draining';
    return Promise.all(
      [...this.workers].map((worker) => {
        try {
          worker.send({ type: messages.drain }, () => {
            if (!speaksContract.has(worker)) disconnect(worker);
          });
        } catch {
          worker.process.kill('SIGTERM');
        }
        warnIfNotReleased(worker);
        return waitExit(worker, boundMs);
      }),
    ).then(() => undefined);
  }

  async kill(): Promise<void> {
    this.state = 'draining';
    await Promise.all([...this.workers].map((worker) => waitExit(worker, 0)));
  }
}

/** Workers that sent the contract's ready message, and so handle its drain message. */
const speaksContract = new WeakSet<Worker>();

/** Workers that said they drained, and so waited for `released` (or its bound) to exit. */
const sentDrained = new WeakSet<Worker>();
const watchedExit = new WeakSet<Worker>();

/**
 * Says so when a draining worker that speaks the contract exits on its own without having
 * said `drained`: a connection handed to it as it closed may have gone with it (contract.ts),
 * and its client then waits for its own timeout.
 */
function warnIfNotReleased(worker: Worker): void {
  if (watchedExit.has(worker)) return;
  watchedExit.add(worker);
  worker.process.once('exit', (code) => {
    if (!speaksContract.has(worker) || sentDrained.has(worker) || code === null) return;
    log('warn', 'a draining worker exited without waiting for esteps:released', {
      pid: worker.process.pid,
      code,
      hint: 'connections handed to it as it closed may be lost; see the drained message in contract.ts',
    });
  });
}

function sendQuietly(worker: Worker, message: object): void {
  try {
    worker.send(message, () => undefined);
  } catch {
    // Gone already: nothing to tell it.
  }
}

function disconnect(worker: Worker): void {
  try {
    if (worker.isConnected()) worker.disconnect();
  } catch {
    // Already gone: waitExit sees it.
  }
}

function exited(worker: Worker): boolean {
  return worker.process.exitCode !== null || worker.process.signalCode !== null;
}

/** Resolves when `worker` exited; sends SIGKILL after `boundMs`. */
function waitExit(worker: Worker, boundMs: number): Promise<void> {
  if (exited(worker)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), boundMs);
    worker.process.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Undefined once the worker is ready (it said so, or it listens: any service that listens
 * is ready without knowing about esteps); otherwise why it did not get there.
 */
function waitReady(worker: Worker, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const done = (outcome: string | undefined) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('listening', onListening);
      worker.process.off('exit', onExit);
      // Give the pipes a moment to deliver the last output before the caller reads the tail.
      if (outcome === undefined) resolve(undefined);
      else setTimeout(() => resolve(outcome), 100);
    };
    const onMessage = (message: unknown) => {
      if ((message as { type?: unknown })?.type === messages.ready) done(undefined);
    };
    const onListening = () => done(undefined);
    const onExit = (code: number | null, signal: string | null) =>
      done(`the new code exited (${signal ?? `code ${code}`}) before it was ready`);
    const timer = setTimeout(
      () => done(`the new code was not ready within ${timeoutMs} ms`),
      timeoutMs,
    );
    worker.on('message', onMessage);
    worker.on('listening', onListening);
    worker.process.on('exit', onExit);
  });
}
