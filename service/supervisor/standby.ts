/**
 * Standby workers: cluster workers started ahead of a reload, running the supervisor's own
 * file in standby mode, that wait for the code to run. A reload hands each one the new code
 * (`load`) instead of forking a fresh worker, so what the switch waits for is the new code
 * loading and becoming ready, not Node starting (about half of a worker's start-up, more on
 * a busy machine). A standby runs no code of the service's and never listens: it takes no
 * traffic until it loaded the code and said ready, exactly like a freshly forked worker.
 *
 * Both sides live here: the supervisor's pool (StandbyPool) and the worker's loop
 * (runStandby), which supervisor-main.ts runs when the standby variable is set.
 */
import cluster, { type Worker } from 'node:cluster';
import { runMain } from 'node:module';
import { routeOutput } from './worker-output.js';

/** Set in a standby worker's environment; removed before it loads the service's code. */
export const standbyVariable = 'ESTEPS_SUPERVISOR_STANDBY';

/** Messages between the supervisor and a standby worker (cluster IPC). */
const standbyMessages = {
  /** Standby → supervisor: started, listening for `load`. */
  waiting: 'esteps:standby-waiting',
  /** Supervisor → standby: `{type, file, env}`: set `env`, then run `file` as the main module. */
  load: 'esteps:standby-load',
} as const;

/** Builtins most services load at start (an HTTP server, a database driver): loaded ahead. */
const warmBuiltins = ['node:http', 'node:net', 'node:tls', 'node:crypto', 'node:dns', 'node:zlib'];

/**
 * The worker side: waits for the supervisor's `load` (leaving when the supervisor goes), then
 * becomes the service: its environment, `process.argv[1]` and main module as a forked
 * worker's would be.
 */
export function runStandby(): void {
  const leave = () => process.exit(0);
  process.on('disconnect', leave);
  const onMessage = (message: unknown) => {
    const load = message as { type?: unknown; file?: unknown; env?: unknown };
    if (load?.type !== standbyMessages.load || typeof load.file !== 'string') return;
    process.off('message', onMessage);
    process.off('disconnect', leave);
    delete process.env[standbyVariable];
    Object.assign(process.env, load.env);
    process.argv[1] = load.file;
    // What `node FILE` does: FILE runs as the main module (require.main), CommonJS or ESM.
    runMain(load.file);
  };
  process.on('message', onMessage);
  void Promise.all(warmBuiltins.map((name) => import(name).catch(() => undefined))).then(() =>
    process.send?.({ type: standbyMessages.waiting }),
  );
}

/** Has `worker` (a standby taken from a pool) run `file` with `env` added to its environment. */
export function loadStandby(worker: Worker, file: string, env: Record<string, string>): void {
  worker.send({ type: standbyMessages.load, file, env });
}

/** The supervisor side: keeps `count` standby workers started, hands them out on reload. */
export class StandbyPool {
  private readonly waiting: Worker[] = [];
  private readonly booting = new Set<Worker>();
  private stopped = false;

  constructor(
    /** The supervisor's own file, which runs standby mode when forked with the variable. */
    private readonly supervisorFile: string,
    private readonly count: number,
  ) {}

  /** The process ids of the standbys waiting for code. */
  pids(): number[] {
    return this.waiting.flatMap((worker) => worker.process.pid ?? []);
  }

  /** Starts standbys until `count` are waiting or booting. */
  fill(): void {
    while (!this.stopped && this.waiting.length + this.booting.size < this.count) {
      cluster.setupPrimary({ exec: this.supervisorFile, args: [], silent: true });
      const worker = cluster.fork({ [standbyVariable]: '1' });
      routeOutput(worker);
      this.booting.add(worker);
      worker.on('message', (message: unknown) => {
        if ((message as { type?: unknown })?.type !== standbyMessages.waiting) return;
        if (!this.booting.delete(worker)) return;
        this.waiting.push(worker);
      });
    }
  }

  /** Takes up to `count` waiting standbys (those still alive and connected). */
  take(count: number): Worker[] {
    const taken: Worker[] = [];
    while (taken.length < count && this.waiting.length > 0) {
      const worker = this.waiting.shift()!;
      if (worker.isConnected() && worker.process.exitCode === null) taken.push(worker);
    }
    return taken;
  }

  /** Forgets a worker that exited; true when it was one of ours. */
  forget(worker: Worker): boolean {
    const index = this.waiting.indexOf(worker);
    if (index !== -1) this.waiting.splice(index, 1);
    return this.booting.delete(worker) || index !== -1;
  }

  /** Stops every standby (they exit when their channel closes). */
  stop(): void {
    this.stopped = true;
    for (const worker of [...this.waiting, ...this.booting]) {
      try {
        worker.disconnect();
      } catch {
        worker.process.kill('SIGTERM');
      }
    }
    this.waiting.length = 0;
    this.booting.clear();
  }
}
