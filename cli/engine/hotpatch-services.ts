import type Docker from 'dockerode';
import { codeVersion } from '../../service/supervisor/contract.js';
import type { ResolvedService, ResolvedStack } from '../../stacks/model/model.js';
import type { Progress } from '../ui/progress.js';
import type { AddressEndpoint } from './endpoint/published-address.js';
import { listProjectContainers } from './observe.js';
import { type PatchedReplica, type PatchSpec, preparePatch } from './patch-replica.js';
import type { PatchesAhead } from './patches-ahead.js';
import { runningReplicas } from './running-service.js';

export interface HotpatchInput {
  readonly docker: Docker;
  readonly stack: ResolvedStack;
  /** The hot-patchable services to patch. */
  readonly services: readonly ResolvedService[];
  /** Bundles a service's code as it is now (its hotpatch bundle). */
  readonly bundle: (service: ResolvedService) => Promise<Buffer>;
  readonly progress: Progress;
  readonly signal?: AbortSignal;
  /**
   * Settles once the project's lock is held: the containers are found and the reload clients
   * started meanwhile, and nothing is sent to them before. @default held already
   */
  readonly locked?: Promise<unknown>;
  /** Takes the patch's processes from those started ahead, and starts the next patch's (watch). */
  readonly ahead?: PatchesAhead;
  /** Where the engine is, for the addresses its published ports answer at. @default this machine */
  readonly endpoint?: AddressEndpoint;
}

export interface ServicePatch {
  readonly service: string;
  readonly version: string;
  readonly replicas: readonly PatchedReplica[];
}

export interface HotpatchOutcome {
  readonly services: readonly ServicePatch[];
  /**
   * Where the time went, in ms: finding the containers; bundling, from the start (beside
   * finding the containers, and the reload clients starting); patching, once both were ready.
   */
  readonly phases: {
    readonly locateMs: number;
    readonly bundleMs: number;
    readonly patchMs: number;
  };
}

/**
 * Takes new code to every running replica of each service: bundles it while the reload
 * clients start in the containers, then patches replica after replica (the supervisor in
 * each starts the new code beside the old and switches once it is ready). A failure stops
 * the rollout, with the old code serving where the new one did not start. The caller holds
 * the project's lock, or is taking it (`locked`).
 */
export async function hotpatchServices(input: HotpatchInput): Promise<HotpatchOutcome> {
  const started = performance.now();
  // The code does not depend on where it goes: bundling starts before the engine is read.
  let bundledAt = started;
  const bundling = Promise.all(input.services.map(async (s) => input.bundle(s))).finally(() => {
    bundledAt = performance.now();
  });
  bundling.catch(() => undefined);
  const containers = await listProjectContainers(input.docker, input.stack.project);
  const targets = input.services.map((service) => ({
    service,
    replicas: runningReplicas(
      input.stack,
      service,
      containers,
      service.hotpatch?.probe.containerPort,
      input.endpoint,
    ),
  }));
  const located = performance.now();
  input.progress.start(`bundling ${input.services.map((s) => s.name).join(', ')}`);
  const prepared = targets.flatMap(({ service, replicas }) =>
    replicas.map((r) =>
      preparePatch(
        input.docker,
        r,
        patchSpec(service),
        input.ahead?.take(input.docker.getContainer(r.container.id), patchSpec(service)),
      ),
    ),
  );
  const [bundled, ...patches] = await Promise.allSettled([bundling, ...prepared]);
  const ready = patches.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
  try {
    await input.locked;
    if (bundled.status === 'rejected') throw bundled.reason;
    const refused = patches.find((p) => p.status === 'rejected');
    if (refused) throw refused.reason;
    const readyAt = performance.now();
    const results: ServicePatch[] = [];
    let next = 0;
    for (const [i, { service, replicas }] of targets.entries()) {
      const code = bundled.value[i]!;
      const version = codeVersion(code);
      const patched: PatchedReplica[] = [];
      for (const replica of replicas) {
        input.progress.update(`patching ${replica.container.name} to ${version}`);
        const done = await ready[next++]!.apply(code, version, input.signal);
        // Said plainly: the patch took effect, but a restart of the container would undo it.
        if (done.warning) {
          input.progress.info(
            `${done.container}: ${done.warning} (esteps up builds the current code into a new image)`,
          );
        }
        patched.push(done);
      }
      results.push({ service: service.name, version, replicas: patched });
    }
    return {
      services: results,
      phases: {
        locateMs: Math.round(located - started),
        bundleMs: Math.round(bundledAt - started),
        patchMs: Math.round(performance.now() - readyAt),
      },
    };
  } finally {
    for (const patch of ready) patch.cancel();
    input.ahead?.startFor(
      targets.flatMap(({ service, replicas }) =>
        replicas.map((r) => ({
          container: input.docker.getContainer(r.container.id),
          hotpatch: patchSpec(service),
        })),
      ),
    );
  }
}

/**
 * How a service's patches are taken in: when its containers run as the release's owner
 * (`user` is the owner's uid:gid), the reload client writes the code itself.
 */
function patchSpec(service: ResolvedService): PatchSpec {
  const hotpatch = service.hotpatch!;
  const owner = `${hotpatch.owner.uid}:${hotpatch.owner.gid}`;
  return { ...hotpatch, clientWrites: service.user === owner };
}
