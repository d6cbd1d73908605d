/**
 * A worker's output goes to the supervisor's stdout and stderr, and to the tail of the
 * generation that adopted it, for reporting a failed start (a standby's generation is known
 * only once it is handed code).
 */
import type { Worker } from 'node:cluster';

const outputTails = new WeakMap<Worker, (chunk: Buffer) => void>();

export function routeOutput(worker: Worker): void {
  for (const [stream, target] of [
    [worker.process.stdout, process.stdout],
    [worker.process.stderr, process.stderr],
  ] as const) {
    stream?.on('data', (chunk: Buffer) => {
      target.write(chunk);
      outputTails.get(worker)?.(chunk);
    });
  }
}

/** From now on, `worker`'s output also goes to `tail`. */
export function setOutputTail(worker: Worker, tail: (chunk: Buffer) => void): void {
  outputTails.set(worker, tail);
}
