import type Docker from 'dockerode';
import { reloadTimeoutMs } from '../../service/supervisor/contract.js';
import { type PatchProcesses, type PatchSpec, startPatchProcesses } from './patch-replica.js';

/** Processes started ahead are used while this much of their time is left, else replaced. */
const marginMs = 15_000;

/**
 * A patch's processes (reload client and file writer, patch-replica.ts) started in each
 * container ahead of the next patch, for `esteps watch`: after each patch the next one's are
 * started, so a save waits for neither the engine's two execs nor two Node starts in the
 * container. Those that are too old (they give up after reloadTimeoutMs) or have ended are
 * replaced by new ones when taken.
 */
export class PatchesAhead {
  private readonly started = new Map<string, Promise<PatchProcesses>>();

  /** The processes for a patch of container `id`: those started ahead, or new ones. */
  take(container: Docker.Container, hotpatch: PatchSpec): Promise<PatchProcesses> {
    const ahead = this.started.get(container.id);
    this.started.delete(container.id);
    if (ahead === undefined) return startPatchProcesses(container, hotpatch);
    return ahead.then(
      (processes) => {
        const age = performance.now() - processes.startedAt;
        if (age < reloadTimeoutMs - marginMs && !processes.ended()) return processes;
        cancel(processes);
        return startPatchProcesses(container, hotpatch);
      },
      () => startPatchProcesses(container, hotpatch),
    );
  }

  /** Starts the processes of the next patch in each container (replacing any not taken). */
  startFor(targets: readonly { container: Docker.Container; hotpatch: PatchSpec }[]): void {
    for (const { container, hotpatch } of targets) {
      void this.started.get(container.id)?.then(cancel, () => undefined);
      const processes = startPatchProcesses(container, hotpatch);
      processes.catch(() => undefined);
      this.started.set(container.id, processes);
    }
  }

  /** Ends every process started ahead (their stdin closes, so they exit). */
  dispose(): void {
    for (const processes of this.started.values()) void processes.then(cancel, () => undefined);
    this.started.clear();
  }
}

function cancel(processes: PatchProcesses): void {
  processes.reload.cancel();
  processes.writer?.cancel();
}
